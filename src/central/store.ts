/**
 * The central side's store contract: what the reference receiver (`alpr central-sink`) writes, as
 * an agency's server would. Two backends: SQLite (one file, the demo and the tests' loss counts)
 * and PostgreSQL (the agency's, with the retention rules of policy rule 8). A record is stored at
 * most once per (type, id): units resend what they have no PUBACK for, and several receivers may
 * see the same copy.
 */
import { createHash } from 'node:crypto';
import type { TallyBucket } from '../domain/ports.ts';
import { isControl } from '../domain/text.ts';
import { type HoldCommand, parseUnitTopic } from '../sync/topics.ts';
import type { PurgeEntry } from './retention.ts';

/** One unit message worth keeping (everything but `status`). */
export interface CentralRecord {
  type: string;
  id: string;
  agency: string;
  unit: string;
  /** The read this record belongs to (a read's own id, a hit's or an image's readId), else null. */
  readId: string | null;
  /** When the plate was read (epoch ms, the unit's clock) for detection data; else null. */
  capturedAt: number | null;
  /** sha256 of the record without `sentAt` (identical for every resend of one record). */
  digest: string;
  /** The payload as received. */
  payload: string;
}

export type PutOutcome = 'new' | 'duplicate' | 'conflict';

export interface CentralStore {
  start(): Promise<void>;
  /** Stores the record; resolves once it is durable (the receiver acknowledges only then). */
  put(r: CentralRecord, receivedAt: number): Promise<PutOutcome>;
  /** A unit's retained `online` / `offline` status. */
  status(agency: string, unit: string, state: string, at: number): Promise<void>;
  /** A message that is not a unit record (counted, not stored). */
  malformed(): Promise<void>;
  /** A verified hold or release (holds.ts); stores without retention have none. */
  applyHold?(cmd: HoldCommand, now: number): Promise<number>;
  /**
   * Reads and hits of one unit stored per hour of capture, for the given hours (epoch ms at each
   * hour's start): what a unit's tally is checked against (src/sync/reconcile.ts).
   */
  stored?(agency: string, unit: string, hours: readonly number[]): Promise<TallyBucket[]>;
  /** Purges detection data past retention that no hold names, and logs it. */
  purge?(now: number): Promise<PurgeEntry>;
  stop(): Promise<void>;
}

/** Message types that are detection data (policy rule 8: kept 90 days to 2 years). */
export const DETECTION_TYPES = ['read', 'hit', 'image'] as const;

export type Parsed =
  | { kind: 'record'; record: CentralRecord }
  | { kind: 'status'; agency: string; unit: string; state: string; at: number }
  | { kind: 'malformed' };

/** The latest time a record may carry (9999-12-31): past it, no database keeps it as a time. */
const LAST_TIME_MS = Date.UTC(9999, 11, 31);

/** A time a database can keep (epoch ms, 1970 to 9999), else null. */
function storableTime(t: number): number | null {
  return Number.isFinite(t) && t >= 0 && t <= LAST_TIME_MS ? t : null;
}

/** An id or type as every store keeps it: 1-200 characters, no control character (NUL above all). */
function isKey(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) return false;
  for (const ch of v) if (isControl(ch.codePointAt(0)!)) return false;
  return true;
}

/**
 * What a unit message on `topic` is, for the store (pure). What no store could keep (an id with a
 * NUL, a NUL escaped anywhere in the text: PostgreSQL refuses both) is malformed, counted and
 * acknowledged, so that it can never sit unacknowledged ahead of every later message; a time no
 * store can keep is no time (null), as an unreadable one is.
 */
export function parseUnitMessage(topicBase: string, topic: string, payload: Buffer): Parsed {
  const where = parseUnitTopic(topicBase, topic);
  const text = payload.toString('utf8');
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { kind: 'malformed' };
  }
  if (!where || !isKey(m?.type) || !isKey(m.id) || /\\u0000/i.test(text)) return { kind: 'malformed' };
  if (m.type === 'status')
    return {
      kind: 'status',
      agency: where.agency,
      unit: where.unit,
      state: String(m.state),
      at: storableTime(Number(m.sentAt)) ?? Date.now(),
    };
  // Identity is the record, not the copy: sentAt differs between resends.
  const { sentAt: _sentAt, ...record } = m;
  const digest = createHash('sha256').update(JSON.stringify(record)).digest('hex');
  const { readId, capturedAt } = detectionOf(m);
  if (readId !== null && !isKey(readId)) return { kind: 'malformed' };
  return {
    kind: 'record',
    record: {
      type: m.type,
      id: m.id,
      agency: where.agency,
      unit: where.unit,
      readId,
      capturedAt,
      digest,
      payload: text,
    },
  };
}

function detectionOf(m: Record<string, unknown>): { readId: string | null; capturedAt: number | null } {
  const at = (v: unknown) => {
    return typeof v === 'string' ? storableTime(Date.parse(v)) : null;
  };
  const read = m.read as { id?: unknown; capturedAt?: unknown } | undefined;
  const hit = m.hit as { readId?: unknown; capturedAt?: unknown } | undefined;
  if (m.type === 'read' && read) return { readId: String(m.id), capturedAt: at(read.capturedAt) };
  if (m.type === 'hit' && hit)
    return { readId: typeof hit.readId === 'string' ? hit.readId : null, capturedAt: at(hit.capturedAt) };
  if (m.type === 'image' && typeof m.readId === 'string') return { readId: m.readId, capturedAt: null };
  return { readId: null, capturedAt: null };
}
