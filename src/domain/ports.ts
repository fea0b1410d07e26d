import type { Hit, Light, Read } from './types.ts';

/**
 * Ports: interfaces one stage offers another, wired by the composition root (src/daemon.ts).
 * A stage folder never imports another stage folder; it depends on these instead.
 */

/** Upload priority: lower goes first. Hits before reads, reads before images. */
export const OutboxPriority = { hit: 0, read: 1, image: 2 } as const;
export type OutboxKind = keyof typeof OutboxPriority;
/**
 * Reads and hits the server asked for again (reconciliation): after every new record and image,
 * so a resend never holds up what the unit reads now.
 */
export const RESEND_PRIORITY = 3;

export type OutboxMessage =
  | { seq: number; priority: number; kind: 'hit'; id: string; enqueuedAt: number; hit: Hit }
  | { seq: number; priority: number; kind: 'read'; id: string; enqueuedAt: number; read: Read }
  | {
      seq: number;
      priority: number;
      kind: 'image';
      /** `<readId>:<imageKind>`, stable across resends. */
      id: string;
      enqueuedAt: number;
      readId: string;
      imageKind: string;
      jpeg: Buffer;
    };

/** Resume point for `peek`: the last (priority, seq) a caller has seen. */
export interface OutboxCursor {
  priority: number;
  seq: number;
}

/** The durable outbox the store keeps and sync drains. */
export interface OutboxPort {
  /** Up to `limit` pending messages after `after` (exclusive), ordered by priority, then seq. */
  peek(limit: number, after?: OutboxCursor): OutboxMessage[];
  /** Marks messages delivered (call only on the broker's acknowledgement). Unknown seqs are ignored. */
  ack(seqs: readonly number[]): void;
  /** Pending messages. */
  depth(): number;
  /** Epoch ms when the server last acknowledged a read, or null if never. */
  lastAckedAt(): number | null;
  /** Called after each enqueue with the new message's priority; returns an unsubscribe function. */
  onEnqueue(listener: (priority: number) => void): () => void;
}

/** Records held as synced that were captured in one hour (`from`: epoch ms at the hour's start). */
export interface TallyBucket {
  from: number;
  reads: number;
  hits: number;
}

/** Which hours a tally counts (ReconcilePort.tally). Epoch ms. */
export interface TallyQuery {
  since: number;
  until: number;
  ackedSince: number;
  ackedBefore: number;
  maxHours: number;
}

/**
 * Reconciliation with the server (src/sync/reconcile.ts): what the unit holds as delivered, and
 * sending a window of it again when the server did not get all of it.
 */
export interface ReconcilePort {
  /**
   * Synced reads and hits per hour of capture, counting those acknowledged before `ackedBefore`:
   * the hours captured in [since, until), and the hours of records acknowledged in
   * [ackedSince, ackedBefore) (a backlog sent after a day offline), at most `maxHours`, newest kept.
   */
  tally(q: TallyQuery): TallyBucket[];
  /**
   * Queues again, after everything new, the synced reads and hits captured in [from, to) that are
   * not queued already, at most `limit` of each. They stay synced: retention treats them as sent.
   */
  requeue(from: number, to: number, limit: number): { reads: number; hits: number };
}

/** Evidence holds requested by the server: held reads are never purged until released. */
/**
 * How long the stores remember the signed hold commands they applied: a little longer than the
 * oldest command a receiver accepts (HOLD_MAX_AGE_MS in sync/topics.ts, 30 days).
 */
export const HOLD_LEDGER_MS = 31 * 24 * 3600_000;

/** A signed hold command's place in its case's order (HoldCommand in sync/topics.ts). */
export interface HoldOrder {
  id: string;
  issuedAt: number;
  /** The command's signature: the same id with the same signature is the same command. */
  sig: string;
  /** The receiver's clock: commands older than the ledger keeps are forgotten. */
  now: number;
}

export interface HoldPort {
  /**
   * Holds (or releases) reads by id under a case reference; returns how many reads changed. With
   * `order` (a signed command) it applies once per command (the same one delivered again changes
   * nothing: 0), and only when issued after every command already applied for `ref`; else nothing
   * changes and it throws (ALPR_E_INPUT) saying why.
   */
  setHold(readIds: readonly string[], ref: string, held: boolean, order?: HoldOrder): number;
}

/** A search of stored reads (the web page's audited search). Times are epoch ms, inclusive. */
export interface ReadQuery {
  /** Normalized plate text: the whole plate, or a part of it when `partial`. */
  plate?: string;
  /** Match `plate` anywhere in the read's plate (or any of its candidates). */
  partial?: boolean;
  from?: number;
  to?: number;
  /** Only reads whose position is within `radiusM` metres of (lat, lon). */
  near?: { lat: number; lon: number; radiusM: number };
  /** At most this many reads, newest first. */
  limit: number;
}

/**
 * Decrypting search over the stored reads; the store offers it, the web page uses it. Asynchronous:
 * a scan that opens many reads yields to the event loop between chunks (GPS, sync and the watchdog
 * share the thread).
 */
export interface ReadSearchPort {
  search(q: ReadQuery): Promise<Read[]>;
}

/** Stored plate-crop and overview JPEGs of a read (decrypted), or null when not kept. */
export interface ImagePort {
  image(readId: string, kind: 'plate' | 'overview'): Buffer | null;
}

/** The health lights as shown now: published retained on `<base>/<agency>/<unit>/health`. */
export interface HealthSnapshot {
  /** The worst of the lights: green only when all are green. */
  status: Light;
  phase: 'starting' | 'running';
  /** cameras, server, gps, system → colour and human reasons ("camera rear: no frames for 12 s"). */
  lights: Record<string, { light: Light; reasons: string[] }>;
}

/** What the periodic heartbeat reports: the quarterly inspection's record of the unit. */
export interface HeartbeatSnapshot {
  /** At least `software` and `model`; anything else the root knows (node, config). */
  versions: Record<string, string>;
  hotlists: { list: string; version: number; entries: number; appliedAt: number }[];
  /** Seconds since the daemon started. */
  uptimeS: number;
  cameras: { id: string; fps: number; light: Light }[];
  diskFreeMb: number | null;
  cpuTempC: number | null;
  /** The last saved `alpr selftest` report, summarised; null when none was saved. */
  lastSelftest: { at: string; passed: boolean; failed: string[] } | null;
}

/**
 * What the sync stage publishes about the unit itself (health lights, heartbeat). The root fills it
 * from the health stage, capture stats and the hot-list store; sync adds its own outbox depth.
 */
export interface TelemetryPort {
  health(): HealthSnapshot;
  /** Called whenever a light changes; returns an unsubscribe function. */
  onHealthChange(listener: () => void): () => void;
  heartbeat(): HeartbeatSnapshot | Promise<HeartbeatSnapshot>;
}

/** Stored hits, decrypted, newest first: the officer's page shows them again after a restart. */
export interface HitHistoryPort {
  recent(since: number, limit: number): Hit[];
}

/** One queued record for the server that is not a read, hit or image (hit state, shift check, audit row). */
export interface QueuedRecord {
  seq: number;
  /** Idempotency key: the same record always has the same id. */
  id: string;
  /** What it is, e.g. 'hit-state', 'shift-check', 'audit'. */
  kind: string;
  enqueuedAt: number;
  body: unknown;
}

/**
 * A durable queue (in the store, sealed at rest) of records for the server beside the outbox:
 * the web page puts its hit handling, shift checks and audit rows here; sync drains it in seq order
 * and acknowledges on the broker's PUBACK, like the outbox.
 */
export interface RecordQueuePort {
  /**
   * Queues a record; false when one with this id is already queued. `enqueuedAt` (default: now)
   * is sent as `queuedAt`: a record queued again with the same id and body must give the same one,
   * so the server sees the same record, byte for byte.
   */
  put(r: { id: string; kind: string; body: unknown; enqueuedAt?: number }): boolean;
  /** Up to `limit` records after seq `after` (exclusive), oldest first. */
  peek(limit: number, after?: number): QueuedRecord[];
  /** Drops acknowledged records. Unknown seqs are ignored. */
  ack(seqs: readonly number[]): void;
  depth(): number;
  /** Called after each put; returns an unsubscribe function. */
  onPut(listener: () => void): () => void;
}
