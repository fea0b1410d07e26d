/**
 * The central side's store contract: what the reference receiver (`alpr central-sink`) writes, as
 * an agency's server would. Two backends: SQLite (one file, the demo and the tests' loss counts)
 * and PostgreSQL (the agency's, with the retention rules of policy rule 8). A record is stored at
 * most once per (type, id): units resend what they have no PUBACK for, and several receivers may
 * see the same copy.
 */
import { createHash } from 'node:crypto';
import type { TallyBucket } from '../domain/ports.ts';
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

/** What a unit message on `topic` is, for the store (pure). */
export function parseUnitMessage(topicBase: string, topic: string, payload: Buffer): Parsed {
  const where = parseUnitTopic(topicBase, topic);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { kind: 'malformed' };
  }
  if (!where || typeof m?.type !== 'string' || typeof m.id !== 'string') return { kind: 'malformed' };
  if (m.type === 'status')
    return {
      kind: 'status',
      agency: where.agency,
      unit: where.unit,
      state: String(m.state),
      at: Number(m.sentAt) || Date.now(),
    };
  // Identity is the record, not the copy: sentAt differs between resends.
  const { sentAt: _sentAt, ...record } = m;
  const digest = createHash('sha256').update(JSON.stringify(record)).digest('hex');
  const { readId, capturedAt } = detectionOf(m);
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
      payload: payload.toString('utf8'),
    },
  };
}

function detectionOf(m: Record<string, unknown>): { readId: string | null; capturedAt: number | null } {
  const at = (v: unknown) => {
    const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    return Number.isFinite(t) ? t : null;
  };
  const read = m.read as { id?: unknown; capturedAt?: unknown } | undefined;
  const hit = m.hit as { readId?: unknown; capturedAt?: unknown } | undefined;
  if (m.type === 'read' && read) return { readId: String(m.id), capturedAt: at(read.capturedAt) };
  if (m.type === 'hit' && hit)
    return { readId: typeof hit.readId === 'string' ? hit.readId : null, capturedAt: at(hit.capturedAt) };
  if (m.type === 'image' && typeof m.readId === 'string') return { readId: m.readId, capturedAt: null };
  return { readId: null, capturedAt: null };
}
