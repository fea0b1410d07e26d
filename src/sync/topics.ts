/**
 * The MQTT contract between a unit and the agency's server: every topic and payload, in one file.
 * Documented for the server team in PROTOCOL.md (keep the two in step; bump PROTOCOL_VERSION on
 * any incompatible change). Everything lives under `<topicBase>/<agency>/<unit>/`.
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import { signBytes, verifyBytes } from '../domain/signed.ts';
import type { HealthSnapshot, HeartbeatSnapshot, QueuedRecord, TallyBucket } from '../domain/ports.ts';
import type { Hit, Read } from '../domain/types.ts';
import { resendWindow } from './reconcile.ts';

export const PROTOCOL_VERSION = 1;
/** A hold command is a few hundred bytes: anything far bigger is refused before it is parsed. */
export const MAX_HOLD_COMMAND_BYTES = 16 * 1024;
/**
 * The largest MQTT packet the unit's link takes from the broker (MQTT 5 Maximum Packet Size: the
 * broker drops bigger ones instead of sending them). The link receives hold and resend commands only.
 */
export const MAX_LINK_PACKET_BYTES = 64 * 1024;

export interface UnitRef {
  agency: string;
  id: string;
}

/** Unit → server topics, and the server → unit command topic. Never a wildcard here. */
export function topics(base: string, unit: UnitRef) {
  const root = `${base}/${unit.agency}/${unit.id}`;
  return {
    root,
    /** retained; `online` on connect, `offline` as the last will and on clean shutdown */
    status: `${root}/status`,
    /** QoS 1, one message per read */
    read: `${root}/read`,
    /** QoS 1, one message per hit (sent before reads) */
    hit: `${root}/hit`,
    /** QoS 1, one message per image, only when images are enabled */
    image: `${root}/image`,
    /** server → unit: evidence holds; the unit subscribes to this one topic only */
    holdCommand: `${root}/cmd/hold`,
    /** unit → server: the outcome of a hold command */
    holdResult: `${root}/cmd/hold/result`,
    /** server → unit: send a window of reads and hits again (reconcile.ts) */
    resendCommand: `${root}/cmd/resend`,
    /** QoS 1, not retained: synced reads and hits per hour of the last day (reconcile.ts) */
    tally: `${root}/tally`,
    /** retained, QoS 1: the health lights, on every change and every `healthIntervalS` */
    health: `${root}/health`,
    /** retained, QoS 1: versions, uptime, fps, queue, disk, temperature, last self-test */
    heartbeat: `${root}/heartbeat`,
    /** QoS 1, queued records (sent after hits, before reads): hit handling on the officer's page */
    hitState: `${root}/hit-state`,
    /** QoS 1, queued records: start-of-shift light checks */
    shiftCheck: `${root}/shift-check`,
    /** QoS 1, queued records: rows of the hash-chained search audit log */
    audit: `${root}/audit`,
    /** QoS 1, queued records: officer-entered hot plates (list LOCAL) */
    hotPlate: `${root}/hot-plate`,
    /** QoS 1, queued records of a kind this version does not name (forward compatibility) */
    record: `${root}/record`,
  } as const;
}

/** Kinds of queued records (RecordQueuePort) that have their own topic `<root>/<kind>`. */
export const RECORD_KINDS = ['hit-state', 'shift-check', 'audit', 'hot-plate'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

function isRecordKind(kind: string): kind is RecordKind {
  return (RECORD_KINDS as readonly string[]).includes(kind);
}

/** The topic of a queued record: `<root>/<kind>` for known kinds, `<root>/record` otherwise. */
export function recordTopic(base: string, unit: UnitRef, kind: string): string {
  return `${base}/${unit.agency}/${unit.id}/${isRecordKind(kind) ? kind : 'record'}`;
}

/** Server-side subscriptions (the reference sink uses these): every unit of every agency. */
export function serverSubscriptions(base: string): string[] {
  return ['status', 'read', 'hit', 'image', 'cmd/hold/result', 'tally', ...RECORD_KINDS, 'record'].map(
    (t) => `${base}/+/+/${t}`,
  );
}

/** Server-side subscriptions for the unit's own state (live, retained; not stored records). */
export function telemetrySubscriptions(base: string): string[] {
  return ['health', 'heartbeat'].map((t) => `${base}/+/+/${t}`);
}

interface Envelope<T extends string> {
  type: T;
  version: typeof PROTOCOL_VERSION;
  /** Idempotency key: the same id is always the same record; receivers de-duplicate on it. */
  id: string;
  agency: string;
  unit: string;
  /** Epoch ms when this copy was published (differs between resends; not part of identity). */
  sentAt: number;
}

export type StatusPayload = Envelope<'status'> & { state: 'online' | 'offline' };
export type ReadPayload = Envelope<'read'> & { read: Read };
export type HitPayload = Envelope<'hit'> & { hit: Hit };
export type ImagePayload = Envelope<'image'> & {
  readId: string;
  kind: string;
  mime: 'image/jpeg';
  /** base64 */
  data: string;
};
/**
 * Hold commands are signed like hot lists, by an admin key the unit pins (hotlist.adminKeys), and
 * name their unit: anyone who can write the command topic (a broker ACL mistake, a stolen server
 * certificate without the key) can neither hold nor release evidence. They carry the time they
 * were issued, signed, and each is applied once, and never undoes a later command of the other
 * action for its case (the store's ledger): a signed command seen on the broker and sent again (an
 * old release after the case was held again) changes nothing. Formats 1 (unsigned) and 2 (no issue
 * time) are refused.
 */
export const HOLD_FORMAT = 3;
/** Prefix of the signed bytes, so a hold signature can never pass for another message's. */
export const HOLD_TAG = 'alpr-hold-v3\n';
/** A command issued longer ago than this is refused (the ledger of applied commands keeps longer). */
export const HOLD_MAX_AGE_MS = 30 * 24 * 3600_000;

export type HoldCommand = {
  type: 'hold';
  version: typeof HOLD_FORMAT;
  id: string;
  /** The unit the command is for, as in its topic. */
  agency: string;
  unit: string;
  action: 'hold' | 'release';
  /** Case or request reference; a release must name the same ref. */
  ref: string;
  readIds: string[];
  keyId: string;
  /** When the admin signed it (epoch ms): commands for one ref apply in this order, each once. */
  issuedAt: number;
  /** base64 Ed25519 signature of HOLD_TAG + holdSignedText(every other field) */
  sig: string;
};

/** The signed text: every field but `sig`, in a fixed order (no canonical JSON needed). */
export function holdSignedText(c: Omit<HoldCommand, 'sig'>): string {
  return (
    HOLD_TAG +
    JSON.stringify([
      c.type,
      c.version,
      c.id,
      c.agency,
      c.unit,
      c.action,
      c.ref,
      c.readIds,
      c.keyId,
      c.issuedAt,
    ])
  );
}

/** Server / admin side: a signed hold or release for one unit. */
export function signHoldCommand(
  c: {
    id: string;
    unit: UnitRef;
    action: 'hold' | 'release';
    ref: string;
    readIds: string[];
    issuedAt: number;
  },
  privateKeyPem: string | Buffer,
  keyId: string,
): HoldCommand {
  const fields: Omit<HoldCommand, 'sig'> = {
    type: 'hold',
    version: HOLD_FORMAT,
    id: c.id,
    agency: c.unit.agency,
    unit: c.unit.id,
    action: c.action,
    ref: c.ref,
    readIds: c.readIds,
    keyId,
    issuedAt: c.issuedAt,
  };
  return { ...fields, sig: signBytes(Buffer.from(holdSignedText(fields)), privateKeyPem) };
}
/**
 * A hold or release for any number of reads, as commands that each fit MAX_HOLD_COMMAND_BYTES
 * (about 400 read ids): one command when they fit, else `<id>-1`, `<id>-2`… with the same ref,
 * action and issue time, each signed on its own. Holds (or releases) of one ref apply in any order.
 */
export function signHoldCommands(
  c: Parameters<typeof signHoldCommand>[0],
  privateKeyPem: string | Buffer,
  keyId: string,
): HoldCommand[] {
  const sign = (id: string, readIds: string[]) =>
    signHoldCommand({ ...c, id, readIds }, privateKeyPem, keyId);
  const fits = (cmd: HoldCommand) => Buffer.byteLength(JSON.stringify(cmd)) <= MAX_HOLD_COMMAND_BYTES;
  const whole = sign(c.id, c.readIds);
  if (fits(whole)) return [whole];
  // the room a command has for ids: what an empty one with the longest suffixed id leaves free
  const empty = Buffer.byteLength(JSON.stringify(sign(`${c.id}-${c.readIds.length}`, [])));
  const room = MAX_HOLD_COMMAND_BYTES - empty;
  const parts: string[][] = [];
  let part: string[] = [];
  let used = 0;
  for (const r of c.readIds) {
    const cost = Buffer.byteLength(JSON.stringify(r)) + 1;
    if (part.length > 0 && used + cost > room) {
      parts.push(part);
      part = [];
      used = 0;
    }
    part.push(r);
    used += cost;
  }
  if (part.length > 0) parts.push(part);
  return parts.map((ids, k) => sign(`${c.id}-${k + 1}`, ids));
}

export type HoldResultPayload = Envelope<'holdResult'> & {
  requestId: string;
  changed: number;
  /** Why a signed command was not applied (an old command sent again, an id used twice): absent when applied. */
  refused?: string;
};
export type HealthPayload = Envelope<'health'> & HealthSnapshot;
/** What the unit holds as delivered (reconcile.ts); live state, never queued. */
export type TallyPayload = Envelope<'tally'> & {
  /** The tally covers captures in [since, until) acknowledged before `ackedBefore` (epoch ms). */
  since: number;
  until: number;
  ackedBefore: number;
  hours: TallyBucket[];
};
/**
 * Server → unit: send the reads and hits captured in [from, to) again. Not signed: it only makes
 * the unit send records it already sent, to the same server; the broker lets only the server
 * certificate write it, and the unit obeys a bounded number (ResendGate).
 */
export type ResendCommand = {
  type: 'resend';
  version: typeof PROTOCOL_VERSION;
  id: string;
  agency: string;
  unit: string;
  from: number;
  to: number;
};
/** A resend command is a couple of hundred bytes. */
export const MAX_RESEND_COMMAND_BYTES = 4096;
export type HeartbeatPayload = Envelope<'heartbeat'> &
  HeartbeatSnapshot & {
    /** Messages waiting in the unit's outbox (reads, hits, images not yet acknowledged). */
    outboxDepth: number;
  };
/** A queued record: `type` is its kind (or `record` for an unnamed kind), `id` the record's own id. */
export type RecordPayload = Envelope<RecordKind | 'record'> & {
  kind: string;
  /** Epoch ms when the unit queued it (stable across resends). */
  queuedAt: number;
  body: unknown;
};
export type UnitPayload =
  | StatusPayload
  | RecordPayload
  | ReadPayload
  | HitPayload
  | ImagePayload
  | HoldResultPayload
  | HealthPayload
  | HeartbeatPayload
  | TallyPayload;

function envelope<T extends string>(type: T, id: string, unit: UnitRef, sentAt: number): Envelope<T> {
  return { type, version: PROTOCOL_VERSION, id, agency: unit.agency, unit: unit.id, sentAt };
}

export const payloads = {
  status: (unit: UnitRef, state: 'online' | 'offline', now: number): StatusPayload => ({
    ...envelope('status', randomUUID(), unit, now),
    state,
  }),
  read: (unit: UnitRef, read: Read, now: number): ReadPayload => ({
    ...envelope('read', read.id, unit, now),
    read,
  }),
  hit: (unit: UnitRef, hit: Hit, now: number): HitPayload => ({ ...envelope('hit', hit.id, unit, now), hit }),
  image: (
    unit: UnitRef,
    id: string,
    readId: string,
    kind: string,
    jpeg: Buffer,
    now: number,
  ): ImagePayload => ({
    ...envelope('image', id, unit, now),
    readId,
    kind,
    mime: 'image/jpeg',
    data: jpeg.toString('base64'),
  }),
  holdResult: (
    unit: UnitRef,
    requestId: string,
    changed: number,
    now: number,
    refused?: string,
  ): HoldResultPayload => ({
    ...envelope('holdResult', randomUUID(), unit, now),
    requestId,
    changed,
    ...(refused ? { refused } : {}),
  }),
  record: (unit: UnitRef, r: QueuedRecord, now: number): RecordPayload => ({
    ...envelope(isRecordKind(r.kind) ? r.kind : 'record', r.id, unit, now),
    kind: r.kind,
    queuedAt: r.enqueuedAt,
    body: r.body,
  }),
  health: (unit: UnitRef, h: HealthSnapshot, now: number): HealthPayload => ({
    ...envelope('health', randomUUID(), unit, now),
    status: h.status,
    phase: h.phase,
    lights: h.lights,
  }),
  tally: (
    unit: UnitRef,
    t: { since: number; until: number; ackedBefore: number; hours: TallyBucket[] },
    now: number,
  ): TallyPayload => ({ ...envelope('tally', randomUUID(), unit, now), ...t }),
  resend: (unit: UnitRef, from: number, to: number): ResendCommand => ({
    type: 'resend',
    version: PROTOCOL_VERSION,
    id: randomUUID(),
    agency: unit.agency,
    unit: unit.id,
    from,
    to,
  }),
  heartbeat: (unit: UnitRef, hb: HeartbeatSnapshot, outboxDepth: number, now: number): HeartbeatPayload => ({
    ...envelope('heartbeat', randomUUID(), unit, now),
    ...hb,
    outboxDepth,
  }),
};

const ID = /^[A-Za-z0-9:_-]{1,128}$/;

/**
 * Validates a hold command from the server for `unit`, signature included; returns a reason
 * string when it is not one to obey.
 */
export function parseHoldCommand(
  buf: Buffer,
  unit: UnitRef,
  keys: ReadonlyMap<string, KeyObject>,
  now: number,
): HoldCommand | string {
  if (buf.length > MAX_HOLD_COMMAND_BYTES) return `too large (${buf.length} bytes)`;
  let m: unknown;
  try {
    m = JSON.parse(buf.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const c = m as Partial<HoldCommand>;
  if (c?.type !== 'hold') return 'type must be "hold"';
  if (c.version !== HOLD_FORMAT)
    return `unsupported version ${String(c.version)} (hold commands must be signed, with their issue time)`;
  if (typeof c.id !== 'string' || !ID.test(c.id)) return 'bad id';
  if (c.action !== 'hold' && c.action !== 'release') return 'action must be hold or release';
  if (typeof c.ref !== 'string' || c.ref.length < 1 || c.ref.length > 128) return 'bad ref';
  if (
    !Array.isArray(c.readIds) ||
    c.readIds.length > 10_000 ||
    !c.readIds.every((x) => typeof x === 'string' && ID.test(x))
  ) {
    return 'readIds must be up to 10000 ids';
  }
  if (c.agency !== unit.agency || c.unit !== unit.id) return 'for another unit';
  if (typeof c.sig !== 'string' || c.sig === '') return 'unsigned';
  const key = typeof c.keyId === 'string' ? keys.get(c.keyId) : undefined;
  if (!key) return `signed by unknown key "${String(c.keyId)}"`;
  const cmd = c as HoldCommand;
  if (!Number.isSafeInteger(cmd.issuedAt)) return 'issuedAt must be epoch ms';
  if (!verifyBytes(Buffer.from(holdSignedText(cmd)), cmd.sig, key)) return 'bad signature';
  // (one issued "in the future" is taken: that is this clock behind the signer's, not a replay)
  if (cmd.issuedAt < now - HOLD_MAX_AGE_MS)
    return `issued ${new Date(cmd.issuedAt).toISOString()}, more than 30 days ago: sign and send it again`;
  return cmd;
}

/** Validates a resend command from the server for `unit`; a reason string when it is not one to obey. */
export function parseResendCommand(buf: Buffer, unit: UnitRef, now: number): ResendCommand | string {
  if (buf.length > MAX_RESEND_COMMAND_BYTES) return `too large (${buf.length} bytes)`;
  let c: Partial<ResendCommand>;
  try {
    c = JSON.parse(buf.toString('utf8')) as Partial<ResendCommand>;
  } catch {
    return 'not JSON';
  }
  if (c?.type !== 'resend') return 'type must be "resend"';
  if (c.version !== PROTOCOL_VERSION) return `unsupported version ${String(c.version)}`;
  if (typeof c.id !== 'string' || !ID.test(c.id)) return 'bad id';
  if (c.agency !== unit.agency || c.unit !== unit.id) return 'for another unit';
  const w = resendWindow(c.from, c.to, now);
  if (typeof w === 'string') return w;
  return { type: 'resend', version: PROTOCOL_VERSION, id: c.id, agency: unit.agency, unit: unit.id, ...w };
}

/** Splits a unit topic `<base>/<agency>/<unit>/<rest>`; null when it is not under `base`. */
export function parseUnitTopic(
  base: string,
  topic: string,
): { agency: string; unit: string; rest: string } | null {
  if (!topic.startsWith(`${base}/`)) return null;
  const parts = topic.slice(base.length + 1).split('/');
  if (parts.length < 3) return null;
  return { agency: parts[0]!, unit: parts[1]!, rest: parts.slice(2).join('/') };
}
