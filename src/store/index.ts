import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { readSecret } from '../config/secrets.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type {
  HitHistoryPort,
  HoldPort,
  ImagePort,
  OutboxCursor,
  OutboxMessage,
  OutboxPort,
  ReadSearchPort,
  ReconcilePort,
  RecordQueuePort,
} from '../domain/ports.ts';
import { RESEND_PRIORITY } from '../domain/ports.ts';
import { toBuckets } from '../domain/tally.ts';
import type { Hit, Light, Read } from '../domain/types.ts';
import { StoreDb } from './db.ts';
import { logFreed, logPurge, type PurgeResult } from './freed.ts';
import { openDb } from './file.ts';
import { type HeldStats, isDiskFull, isWriteError, WriteGuard } from './guard.ts';
import type { HeldKind } from './holding.ts';
import { DiskReserve } from './pressure.ts';
import { claimDataDir } from './owner.ts';
import { StoreQueries } from './queries.ts';
import { diskState, type PurgeReason, retentionRules } from './retention.ts';
import { aesSealer, parseKey, plainSealer, type Sealer } from './seal.ts';

/** How often the storage light looks at free disk space without waiting for writes (ms). */
export const DISK_CHECK_MS = 30_000;

export interface StoreStageOptions {
  bus: Bus;
  log: Logger;
  config: Config['store'];
  dataDir: string;
  credentialsDir?: string;
  /** Clock, for tests. */
  now?: () => number;
  /** How often free disk space is checked for the storage light (ms; DISK_CHECK_MS by default). */
  diskCheckMs?: number;
  /** How often records held through a full disk are retried (ms); tests set 0 and call retryHeld. */
  retryMs?: number;
  /**
   * Whether the system clock may date records for the hard maximum's purge of unsynced ones
   * (domain/read.ts clockConfirmed: GPS time agrees). While it may not, records the server never
   * got are kept whatever their stamped age: a clock jumped years ahead must not delete evidence.
   * Absent: the clock is trusted.
   */
  clockConfirmed?: () => boolean;
}

/**
 * The reads store: every read and hit from the bus lands in SQLite (WAL) under dataDir, with its
 * personal fields sealed (see seal.ts for why field encryption), and is queued in a durable
 * outbox that the sync stage drains through `outbox()`. Retention runs at start and then every
 * `purgeIntervalMinutes`; the disk watermark is checked on the same timer.
 * Critical: without the store the unit would read plates it can neither keep nor upload.
 */
export class StoreStage implements Stage {
  readonly name = 'store';
  readonly critical = true;
  /** Whether the last purge was told the clock is not confirmed (said once per spell). */
  private unconfirmedSaid = false;
  private db: StoreDb | null = null;
  private queries: StoreQueries | null = null;
  private diskTimer: NodeJS.Timeout | null = null;
  /** Gives the data folder back (owner.ts). */
  private release: (() => void) | null = null;
  private readonly listeners = new Set<(priority: number) => void>();
  private readonly recordListeners = new Set<() => void>();
  private readonly offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastLight: Light | null = null;
  private writes = 0;
  private readonly now: () => number;
  private sealer: Sealer | null = null;
  /** The read being announced by putReadWithHits, and the hits raised for it meanwhile. */
  private announcing: { readId: string; hits: Hit[] } | null = null;
  private reserve: DiskReserve | null = null;
  private guard: WriteGuard | null = null;
  private imagesRefused = 0;

  constructor(private readonly opts: StoreStageOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    const { config, dataDir, log } = this.opts;
    const sealer = this.makeSealer();
    this.sealer = sealer;
    mkdirSync(dataDir, { recursive: true });
    this.release = claimDataDir(dataDir);
    const file = join(dataDir, config.file);
    this.reserve = new DiskReserve(dataDir, config.reserveMb, log);
    this.db = new StoreDb(this.openOnFullDisk(file), sealer);
    this.queries = new StoreQueries(this.db.db, sealer);
    log.info({ file, encrypted: sealer.encrypted, pending: this.db.depth() }, 'store open');
    this.guard = this.makeGuard(this.reserve);
    this.offs.push(
      this.opts.bus.on('read', (r) => {
        if (this.announcing?.readId !== r.id) this.persist('read', r, () => this.putRead(r));
      }),
      this.opts.bus.on('hit', (h) => {
        if (this.announcing?.readId === h.readId) this.announcing.hits.push(h);
        else this.persist('hit', h, () => this.putHit(h));
      }),
    );
    this.reserve.ensure();
    this.maintain();
    this.timer = setInterval(() => this.maintain(), config.purgeIntervalMinutes * 60_000);
    this.timer.unref();
    // Free space also changes without writes (a parked car, a technician freeing the card): the
    // storage light follows it within diskCheckMs, not at the next 200 writes or purge.
    this.diskTimer = setInterval(() => this.watchDisk(), this.opts.diskCheckMs ?? DISK_CHECK_MS);
    this.diskTimer.unref();
  }

  /**
   * Opens the store file; on a disk filled while the unit was off (opening it writes: the WAL, the
   * schema), the reserve is given up and the open tried once more, as a full disk at run time
   * gives it up. Without that, the unit would stop at every start beside 16 MB of its own.
   */
  private openOnFullDisk(file: string): ReturnType<typeof openDb> {
    const synchronous = this.opts.config.synchronous;
    try {
      return openDb(file, { synchronous });
    } catch (err) {
      // only a full card (SQLite says "disk is full", or fails its first write as an I/O error);
      // a read-only one or a wrong key keeps its own words
      const full = /disk is full|disk I\/O error/.test((err as Error).message);
      let released = false;
      try {
        released = full && (this.reserve?.release() ?? false);
      } catch {
        // the reserve cannot go either: the store's own error says why
      }
      if (!released) throw err;
      this.opts.log.warn(
        { err: (err as Error).message },
        'store did not open on a full disk: reserve released, trying again',
      );
      return openDb(file, { synchronous });
    }
  }

  private watchDisk(): void {
    try {
      if (this.checkDisk() === 'green') this.reserve?.ensure();
    } catch (err) {
      this.opts.log.error({ err }, 'cannot check free disk space');
    }
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.diskTimer) clearInterval(this.diskTimer);
    this.diskTimer = null;
    this.guard?.stop();
    this.db?.close();
    this.db = null;
    this.queries = null;
    this.release?.();
    this.release = null;
  }

  /** A keyed hash of `text` (hex), for record ids that must be stable but must not show plate text. */
  tag(text: string): string {
    if (!this.sealer) throw new AlprError(ErrorCodes.STORE, 'store is not open');
    return this.sealer.plateTag(text).toString('hex').slice(0, 32);
  }

  private makeSealer(): Sealer {
    const { config, log, credentialsDir } = this.opts;
    if (config.encryption === 'none') {
      log.warn(
        'STORE ENCRYPTION IS OFF (store.encryption: none): plates, positions and images are stored in clear. Demo only, never on a deployed unit.',
      );
      return plainSealer();
    }
    return aesSealer(parseKey(readSecret(credentialsDir, config.keyFile)));
  }

  private get q(): StoreQueries {
    if (!this.queries) throw new AlprError(ErrorCodes.STORE, 'store is not open');
    return this.queries;
  }

  private get store(): StoreDb {
    if (!this.db) throw new AlprError(ErrorCodes.STORE, 'store is not open');
    return this.db;
  }

  private makeGuard(reserve: DiskReserve): WriteGuard {
    const { config, log } = this.opts;
    return new WriteGuard(
      {
        log,
        reserve,
        limits: { maxRecords: config.holdMaxRecords, maxBytes: config.holdMaxMb * 1024 * 1024 },
        freeSpace: () => this.freeStep(2000, false),
        light: (light, reason) => {
          this.lastLight = light;
          this.opts.bus.emit('health', { component: 'storage', light, reason, at: this.now() });
        },
        stored: () => this.notify(0),
        retryMs: this.opts.retryMs ?? 1000,
      },
      (kind, err) => this.writeFailed(kind, err),
    );
  }

  /**
   * A write from the bus or the reads pipeline. A full disk is the guard's to handle (free
   * space, else hold in memory and retry); any other failure turns the storage light red and goes
   * to the caller (the root decides; the store is critical).
   */
  private persist(kind: HeldKind, record: unknown, write: () => void): boolean {
    if (!this.guard) throw new AlprError(ErrorCodes.STORE, 'store is not open');
    return this.guard.write(kind, () => 2 * JSON.stringify(record).length + 512, write);
  }

  /** Retries the records held through a full disk now (a timer does it every retryMs). */
  retryHeld(): void {
    this.guard?.retry();
  }

  /** Reads and hits held in memory through a full disk, and those given up (policy in holding.ts). */
  heldStats(): HeldStats {
    return this.guard?.stats() ?? { heldReads: 0, heldHits: 0, droppedReads: 0, droppedHits: 0 };
  }

  private writeFailed(kind: string, err: unknown): never {
    // the next disk check (or good write) that finds the store fine says so
    this.lastLight = 'red';
    this.opts.bus.emit('health', {
      component: 'storage',
      light: 'red',
      reason: `cannot store ${kind}s: ${(err as Error).message}`,
      at: this.now(),
    });
    throw err;
  }

  /**
   * One purge step for space, logged; returns how much went. `giveBack` returns the space to the
   * filesystem; never while the disk is full (see purgeForSpace).
   */
  private freeStep(limit: number, giveBack: boolean): number {
    return logFreed(this.opts.log, this.store.purgeForSpace(limit, giveBack));
  }

  /** Persists a read and queues it for upload. Returns false for an id already stored. */
  putRead(read: Read): boolean {
    if (++this.writes % 200 === 0) this.checkDisk();
    const added = this.store.putRead(read, this.now());
    if (added) this.notify(1);
    return added;
  }

  /**
   * Announces a read (`announce` emits it on the bus, where the hot list raises its hits at once)
   * and then stores the read, every hit raised for it meanwhile and their outbox rows in one
   * transaction: a crash never leaves a read without its hits, nor a hit without its read. Hits
   * raised later (re-checks after a list change) reference a stored read and go on their own.
   * Handlers of the announcement run before the commit, which follows in the same tick.
   */
  putReadWithHits(read: Read, announce: () => void): { read: boolean; hits: number } {
    if (this.announcing) throw new AlprError(ErrorCodes.STORE, 'a read is already being announced');
    const batch = { readId: read.id, hits: [] as Hit[] };
    this.announcing = batch;
    try {
      announce();
    } finally {
      this.announcing = null;
    }
    const check = ++this.writes % 200 === 0;
    let added = { read: false, hits: 0 };
    this.persist(batch.hits.length > 0 ? 'hit' : 'read', { read, hits: batch.hits }, () => {
      if (check) this.checkDisk();
      added = this.store.putReadWithHits(read, batch.hits, this.now());
    });
    if (added.hits > 0 || added.read) this.notify(added.hits > 0 ? 0 : 1);
    return added;
  }

  /** True when a read with this id is stored (producers use it to resume after a crash). */
  hasRead(id: string): boolean {
    return this.store.hasRead(id);
  }

  putHit(hit: Hit): boolean {
    const added = this.store.putHit(hit, this.now());
    if (added) this.notify(0);
    return added;
  }

  /** Keeps a plate crop or overview JPEG of a stored read (sealed); queued when store.outboxImages. */
  putImage(readId: string, kind: 'plate' | 'overview', jpeg: Buffer): boolean {
    // The reserve is for hits and unsynced reads: while it is given up, images are not kept.
    if (this.reserve?.missing) {
      this.imageRefused();
      return false;
    }
    let added = false;
    try {
      added = this.store.putImage(readId, kind, jpeg, this.opts.config.outboxImages, this.now());
    } catch (err) {
      if (!isDiskFull(err) && !isWriteError(err)) throw err;
      // Images come last in the policy's order: on a full disk (or one that refuses writes now)
      // they are not kept, nor held.
      this.imageRefused(isDiskFull(err) ? 'disk full' : `store unwritable (${(err as Error).message})`);
      return false;
    }
    if (added && this.opts.config.outboxImages) this.notify(2);
    return added;
  }

  private imageRefused(why = 'disk full'): void {
    if (this.imagesRefused++ % 100 === 0)
      this.opts.log.warn({ refused: this.imagesRefused }, `${why}: images not stored`);
  }

  private notify(priority: number): void {
    for (const l of this.listeners) {
      try {
        l(priority);
      } catch (err) {
        this.opts.log.error({ err }, 'outbox listener failed');
      }
    }
  }

  outbox(): OutboxPort {
    return {
      peek: (limit: number, after?: OutboxCursor): OutboxMessage[] =>
        this.store.peek(limit, after, (seq, kind, err) => {
          this.opts.log.error(
            { seq, kind, err: (err as Error).message },
            'outbox row unreadable; parked, not sent',
          );
          this.opts.bus.emit('health', {
            component: 'storage',
            light: 'amber',
            reason: 'a stored record cannot be decrypted (wrong key or damage): it is kept but not uploaded',
            at: this.now(),
          });
        }),
      ack: (seqs: readonly number[]) => {
        this.store.ack(seqs, this.now());
      },
      depth: () => this.db?.depth() ?? 0,
      lastAckedAt: () => this.db?.lastAckedAt() ?? null,
      onEnqueue: (l: (priority: number) => void) => {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
      },
    };
  }

  holds(): HoldPort {
    return {
      setHold: (ids, ref, held, order) => {
        const n = this.store.setHold(ids, ref, held, order);
        this.opts.log.info(
          { requested: ids.length, changed: n, ref, held },
          held ? 'evidence hold set' : 'evidence hold released',
        );
        return n;
      },
    };
  }

  /**
   * The upload queue for `alpr status`, the health page and the officer's status: how many wait,
   * since when the oldest, and when the server last acknowledged a read.
   */
  uploadInfo(): { depth: number; lastAckedAt: number | null; oldestPendingAt: number | null } {
    const db = this.db;
    const depth = db?.depth() ?? 0;
    return {
      depth,
      lastAckedAt: db?.lastAckedAt() ?? null,
      oldestPendingAt: db && depth > 0 ? db.oldestPendingAt() : null,
    };
  }

  /** What the unit holds as delivered, and sending a window again (src/sync/reconcile.ts). */
  reconcile(): ReconcilePort {
    return {
      tally: (q) => {
        const [reads = [], hits = []] = this.store.tally(q);
        return toBuckets(reads, hits);
      },
      requeue: (from, to, limit) => {
        const n = this.store.requeue(from, to, limit, this.now());
        if (n.hits + n.reads > 0) this.notify(RESEND_PRIORITY);
        return n;
      },
    };
  }

  /** Decrypting search of stored reads, for the officer's audited search (the caller audits it). */
  search(): ReadSearchPort {
    return { search: (q) => this.q.searchReads(q) };
  }

  /** Stored plate crops and overviews, decrypted, for the officer's page. */
  images(): ImagePort {
    return { image: (readId, kind) => this.q.image(readId, kind) };
  }

  /** The queue of other records for the server (hit states, shift checks, audit rows). */
  records(): RecordQueuePort {
    return {
      put: (r) => {
        const added = this.q.putRecord(r.id, r.kind, r.body, r.enqueuedAt ?? this.now());
        if (added) {
          for (const l of this.recordListeners) {
            try {
              l();
            } catch (err) {
              this.opts.log.error({ err }, 'record listener failed');
            }
          }
        }
        return added;
      },
      peek: (limit, after) => this.q.peekRecords(limit, after),
      ack: (seqs) => {
        this.q.ackRecords(seqs);
      },
      depth: () => this.queries?.recordDepth() ?? 0,
      onPut: (l) => {
        this.recordListeners.add(l);
        return () => this.recordListeners.delete(l);
      },
    };
  }

  /** Recent stored hits, decrypted, so the officer's page keeps them across a restart. */
  hitHistory(): HitHistoryPort {
    return { recent: (since, limit) => this.q.recentHits(since, limit) };
  }

  /** Runs retention now; returns what each rule purged. Every purge with a count is logged. */
  purgeNow(): Record<PurgeReason, PurgeResult> {
    const out = {} as Record<PurgeReason, PurgeResult>;
    const confirmed = this.opts.clockConfirmed?.() ?? true;
    if (!confirmed && !this.unconfirmedSaid)
      this.opts.log.warn(
        'the clock is not confirmed by GPS time: records the server has not got are not purged by age until it is',
      );
    this.unconfirmedSaid = !confirmed;
    for (const rule of retentionRules(this.now(), this.opts.config.retentionDays)) {
      const r = this.store.purge(confirmed ? rule : { ...rule, includeUnsynced: false });
      out[rule.reason] = r;
      this.logPurge(rule.reason, r);
    }
    return out;
  }

  private logPurge(reason: PurgeReason, r: PurgeResult): void {
    logPurge(this.opts.log, reason, r);
  }

  /** Frees disk below the watermark: oldest synced images first, then synced reads; unsynced data stays. */
  checkDisk(freeBytes: () => number = () => this.freeBytes()): Light {
    const min = this.opts.config.minFreeMb;
    let state = diskState(freeBytes(), min);
    for (let round = 0; state !== 'ok' && round < 50; round++) {
      if (this.freeStep(5000, !this.reserve?.missing) === 0) break;
      state = diskState(freeBytes(), min);
    }
    const light: Light = state === 'ok' ? 'green' : state === 'low' ? 'amber' : 'red';
    // records held because writes fail: the guard's red stands (room on the disk is not the
    // problem) until its first good write says green
    if (this.guard?.holding) return 'red';
    if (light !== this.lastLight || light !== 'green') {
      this.opts.bus.emit('health', {
        component: 'storage',
        light,
        reason:
          light === 'green'
            ? 'disk space ok'
            : `free disk below ${min} MB with only unsynced or held data left`,
        at: this.now(),
      });
    }
    this.lastLight = light;
    return light;
  }

  private freeBytes(): number {
    if (!this.reserve) throw new AlprError(ErrorCodes.STORE, 'store is not open');
    return this.reserve.freeBytes();
  }

  private maintain(): void {
    try {
      this.purgeNow();
      if (this.checkDisk() === 'green') this.reserve?.ensure();
    } catch (err) {
      this.opts.log.error({ err }, 'store maintenance failed');
    }
  }
}
