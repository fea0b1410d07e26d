/**
 * The roster of users allowed to operate the units (policy rule 1), pushed by admins over MQTT:
 * one retained, Ed25519-signed message per unit on `<base>-admin/<agency>/roster/<unit>`, so the
 * broker ACL can let each unit certificate read its own copy only (a unit's certificate, stolen or
 * not, never harvests the PIN hashes published for the rest of the fleet). Units verify it
 * against the admin keys pinned in their config (hotlist.adminKeys), refuse anything unsigned,
 * badly signed, for another agency or older than what they applied, and hand the users to the
 * root's `applyRoster` (which checks the entries and replaces the web page's roster).
 *
 * Format 2: a copy carries no PIN hash anyone can search. Each user has a keyed verifier
 * (`hscrypt$…`, web/pin.ts) under a roster key drawn for this copy, and the copy carries that key
 * wrapped to the unit's certificate (`pinKey`, domain/roster-key.ts): only the unit's TLS key
 * opens it. Format 1 copies (plain scrypt hashes) are refused: admins push again.
 *
 * The signature covers `tag + body` where `body` is the exact JSON text carried in the message,
 * so no canonical JSON is needed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import mqtt, { type IClientOptions } from 'mqtt';
import { RejectCounter } from '../core/rejects.ts';
import { publishRetainedConfirmed } from '../core/retained-confirm.ts';
import { RefreshSchedule } from '../core/retained-refresh.ts';
import { subscribeAgain, subscribeWithRetry } from '../core/subscribe-retry.ts';
import { type BrokerSession, sessionOf } from '../core/broker-session.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import { adminKeyMap, adminRoot, signBytes, verifyBytes } from '../domain/signed.ts';
import type { KeyObject } from 'node:crypto';
import { type PinKeyWrap, unwrapRosterKey, wrapContext } from '../domain/roster-key.ts';

/** Prefix of the signed bytes, so a roster signature can never pass for another message's. */
export const ROSTER_TAG = 'alpr-roster-v2\n';
export const ROSTER_FORMAT = 2;
/**
 * A roster of a few thousand users is well under this; a bigger message is refused before it is
 * parsed (a 100 MB one would take a gigabyte of the unit's memory as strings and objects).
 */
export const MAX_ROSTER_BYTES = 2 * 1024 * 1024;

export const rosterTopic = (base: string, agency: string, unit: string) =>
  `${adminRoot(base, agency)}/roster/${unit}`;

/** What is signed: the users (badge, name, trained, pinVerifier, expires) and the wrapped roster key. */
export interface RosterBody {
  id: string;
  agency: string;
  /** The one unit this copy is for: a copy signed for another unit is refused. */
  unit: string;
  /** Epoch ms; also the roster's version: a unit never applies an older one. */
  issuedAt: number;
  users: unknown[];
  /** The roster key of the users' PIN verifiers, wrapped to this unit's certificate. */
  pinKey: PinKeyWrap;
}

export interface RosterMessage {
  type: 'roster';
  version: typeof ROSTER_FORMAT;
  keyId: string;
  /** base64 Ed25519 signature over ROSTER_TAG + body */
  sig: string;
  /** JSON text of a RosterBody */
  body: string;
}

export function signRoster(
  b: { agency: string; unit: string; users: unknown[]; pinKey: PinKeyWrap; issuedAt?: number; id?: string },
  privateKeyPem: string | Buffer,
  keyId: string,
): RosterMessage {
  const body: RosterBody = {
    id: b.id ?? randomUUID(),
    agency: b.agency,
    unit: b.unit,
    issuedAt: b.issuedAt ?? Date.now(),
    users: b.users,
    pinKey: b.pinKey,
  };
  const text = JSON.stringify(body);
  return {
    type: 'roster',
    version: ROSTER_FORMAT,
    keyId,
    sig: signBytes(Buffer.from(ROSTER_TAG + text), privateKeyPem),
    body: text,
  };
}

/** The verified body, or why the message must be refused. Version order is the caller's check. */
export function openRoster(
  payload: Buffer,
  to: { agency: string; unit: string },
  keys: ReadonlyMap<string, KeyObject>,
): RosterBody | string {
  if (payload.length > MAX_ROSTER_BYTES) return `roster too large (${payload.length} bytes)`;
  let m: Partial<RosterMessage>;
  try {
    m = JSON.parse(payload.toString('utf8')) as Partial<RosterMessage>;
  } catch {
    return 'roster is not JSON';
  }
  if (m?.type === 'roster' && (m.version as number) === 1)
    return 'roster format 1 carries PIN hashes that can be searched offline: push it again with a current alpr roster push (--unit-certs)';
  if (m?.type !== 'roster' || m.version !== ROSTER_FORMAT) return 'unknown roster type or format';
  if (typeof m.body !== 'string') return 'roster has no body';
  if (typeof m.sig !== 'string' || m.sig === '') return 'unsigned roster';
  const key = typeof m.keyId === 'string' ? keys.get(m.keyId) : undefined;
  if (!key) return `roster signed by unknown key "${String(m.keyId)}"`;
  if (!verifyBytes(Buffer.from(ROSTER_TAG + m.body), m.sig, key)) return 'bad signature';
  let b: Partial<RosterBody>;
  try {
    b = JSON.parse(m.body) as Partial<RosterBody>;
  } catch {
    return 'roster body is not JSON';
  }
  // A well-signed body is still input: `null` or a bare string must be refused, not dereferenced.
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'roster body is not an object';
  if (b.agency !== to.agency) return 'roster is for another agency';
  if (b.unit !== to.unit) return 'roster is for another unit';
  if (!Number.isSafeInteger(b.issuedAt) || !Array.isArray(b.users) || typeof b.id !== 'string')
    return 'roster has bad fields';
  if (typeof b.pinKey !== 'object' || b.pinKey === null) return 'roster has no PIN key';
  return b as RosterBody;
}

export interface RosterSubscriberOptions {
  /** The unit's shared connection (the daemon's); without it, `mqtt` names a connection of its own. */
  session?: BrokerSession;
  mqtt?: { url: string; options?: IClientOptions };
  topicBase: string;
  agency: string;
  unitId: string;
  adminKeys: readonly { id: string; publicKey: string }[];
  /**
   * Checks and applies the users with their roster key (the root: parse them with the web's roster
   * rules, then web.applyRoster). Throws to refuse.
   */
  applyRoster: (users: unknown[], rosterKey: Buffer) => void | Promise<void>;
  /** This unit's TLS private key (PEM), which opens the copy's roster key; throws when there is none. */
  unitKey: () => Buffer;
  /** Keeps the issuedAt of the roster applied last across restarts (no rollback after a reboot). */
  stateFile?: string;
  /** Reconnect backoff (the upload link's reconnectMinMs/MaxMs); 1 s doubling to 5 s without. */
  reconnect?: { minMs: number; maxMs: number };
  /** Reading the retained roster again after each connect (core/retained-refresh.ts); 5 s doubling to 10 min without. */
  refresh?: { minMs: number; maxMs: number };
  log: Logger;
}

/** Unit side: subscribes to the agency's retained roster and applies each newer, well-signed one. */
export class RosterSubscriber implements Stage {
  readonly name = 'roster-sync';
  readonly critical = false;
  private session: BrokerSession | null = null;
  private refresh: RefreshSchedule | null = null;
  private keys = new Map<string, KeyObject>();
  private applied = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Outcomes, for tests and status. */
  readonly stats = { applied: 0, rejected: 0, lastProblem: null as string | null };
  /** Rosters refused: the first logged at once, a flood counted and summed up once a minute. */
  private readonly refusals: RejectCounter;

  constructor(private readonly opts: RosterSubscriberOptions) {
    this.refusals = new RejectCounter(opts.log, 'roster refused; the current roster stays');
  }

  async start(): Promise<void> {
    const o = this.opts;
    this.keys = adminKeyMap(o.adminKeys);
    this.applied = o.stateFile ? readApplied(o.stateFile) : 0;
    const topic = rosterTopic(o.topicBase, o.agency, o.unitId);
    const session = sessionOf(o, `alpr-roster-${o.agency}-${o.unitId}`, 'roster sync', o.log);
    this.session = session;
    const retry = {
      wanted: () => this.session === session,
      onRefused: (err: Error) => o.log.warn({ err: err.message }, 'roster subscribe refused; retrying'),
      qos: session.subscribeQos,
    };
    this.refresh = new RefreshSchedule(o.refresh ?? { minMs: 5000, maxMs: 600_000 }, () => {
      const client = session.current();
      if (client) subscribeAgain(client, [topic], retry);
    });
    session.allowPackets(MAX_ROSTER_BYTES + 4096);
    session.onMessage((t, payload) => void this.receive(t, payload));
    session.onConnect((client) => {
      if (this.session !== session) return;
      this.refresh?.restart();
      subscribeWithRetry(client, [topic], retry);
    });
  }

  /**
   * One message from the broker. Rosters apply one at a time, in arrival order; a failure of one
   * (a full disk writing the state file) refuses that roster and never breaks the chain for the
   * next, nor escapes as an unhandled rejection, which would end the process.
   */
  receive(topic: string, payload: Buffer): Promise<void> {
    const o = this.opts;
    if (topic !== rosterTopic(o.topicBase, o.agency, o.unitId) || payload.length === 0) return this.chain;
    this.chain = this.chain
      .then(() => this.onRoster(payload))
      .catch((err: unknown) =>
        this.refuse(`could not be applied: ${(err as Error)?.message ?? String(err)}`),
      );
    return this.chain;
  }

  private async onRoster(payload: Buffer): Promise<void> {
    const b = openRoster(payload, { agency: this.opts.agency, unit: this.opts.unitId }, this.keys);
    if (typeof b === 'string') return this.refuse(b);
    if (b.issuedAt === this.applied) return; // the retained copy again
    if (b.issuedAt < this.applied)
      return this.refuse(`older than the roster in use (${b.issuedAt} < ${this.applied})`);
    let rosterKey: Buffer;
    try {
      rosterKey = unwrapRosterKey(b.pinKey, this.opts.unitKey(), wrapContext(b.agency, b.unit, b.id));
    } catch (err) {
      return this.refuse((err as Error).message);
    }
    try {
      await this.opts.applyRoster(b.users, rosterKey);
    } catch (err) {
      return this.refuse(`entries refused: ${(err as Error).message}`);
    }
    this.applied = b.issuedAt;
    if (this.opts.stateFile) writeFileAtomic(this.opts.stateFile, `${b.issuedAt}\n`);
    this.stats.applied++;
    this.opts.log.info({ users: b.users.length, issuedAt: b.issuedAt }, 'roster applied');
  }

  private refuse(problem: string): void {
    this.stats.rejected++;
    this.stats.lastProblem = problem;
    this.refusals.reject(problem);
  }

  async stop(): Promise<void> {
    this.refresh?.stop();
    const session = this.session;
    this.session = null;
    await session?.close();
  }
}

/**
 * Admin side: signs one copy per unit (each naming its unit, its users keyed and its roster key
 * wrapped for that unit by `copyFor`, given the unit and the copy id) and publishes each retained
 * (QoS 1) on that unit's roster topic. Resolves with the messages once every copy reads back from
 * the broker.
 */
export async function pushRoster(o: {
  url: string;
  options?: IClientOptions;
  topicBase: string;
  agency: string;
  units: readonly string[];
  copyFor: (unit: string, copyId: string) => { users: unknown[]; pinKey: PinKeyWrap };
  privateKeyPem: string | Buffer;
  keyId: string;
  issuedAt?: number;
  /** How long to keep publishing again what does not read back from the broker; 60 s without. */
  confirmTimeoutMs?: number;
}): Promise<RosterMessage[]> {
  const issuedAt = o.issuedAt ?? Date.now();
  const id = randomUUID();
  const msgs = o.units.map((unit) =>
    signRoster({ agency: o.agency, unit, ...o.copyFor(unit, id), issuedAt, id }, o.privateKeyPem, o.keyId),
  );
  const client = await mqtt.connectAsync(o.url, { reconnectPeriod: 0, ...o.options });
  try {
    // MQTT 5: a copy the broker's ACL refuses rejects here (PUBACK reason 0x87), naming no unit.
    // Read back and published again until the broker has every copy (core/retained-confirm.ts).
    await publishRetainedConfirmed(
      client,
      o.units.map((unit, i) => ({
        topic: rosterTopic(o.topicBase, o.agency, unit),
        payload: Buffer.from(JSON.stringify(msgs[i])),
      })),
      { filters: [rosterTopic(o.topicBase, o.agency, '+')], timeoutMs: o.confirmTimeoutMs },
    );
  } finally {
    await client.endAsync();
  }
  return msgs;
}

function readApplied(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) ? n : 0;
  } catch {
    return 0;
  }
}

function writeFileAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
