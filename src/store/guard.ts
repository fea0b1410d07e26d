import type { Logger } from '../core/log.ts';
import type { Light } from '../domain/types.ts';
import { type HeldKind, Holding, type HoldingLimits } from './holding.ts';
import type { DiskReserve } from './pressure.ts';

export interface WriteGuardDeps {
  log: Logger;
  reserve: DiskReserve;
  limits: HoldingLimits;
  /** One purge step in the policy's order; returns how many rows or images it freed. */
  freeSpace: () => number;
  light: (light: Light, reason: string) => void;
  /** Called after held records are stored at last (the outbox has new rows). */
  stored: () => void;
  /** How often held records are retried while no new write comes; 0 = only on new writes. */
  retryMs: number;
}

/** Records held in memory now, and those given up since start. */
export interface HeldStats {
  heldReads: number;
  heldHits: number;
  droppedReads: number;
  droppedHits: number;
}

/** A write that failed for a reason other than a full disk: the caller decides (the store is critical). */
export type WriteError = (kind: HeldKind, err: unknown) => never;

/**
 * Writes to the store through a full disk or a failing card without losing hits. A write refused
 * for lack of space releases the reserve, frees space in the policy's order and tries again; if the
 * disk still refuses, the record is held in memory (bounded, see holding.ts) and retried on every
 * later write and on a timer. A write that fails with an I/O error (an SD card's transient EIO, a
 * filesystem remounted read-only, the file locked away: isWriteError) is held the same way, with
 * no purge (space is not what is missing). The storage light turns red when the first record is
 * held and green on the first write that succeeds after that, not on the next disk check.
 */
export class WriteGuard {
  private readonly held: Holding<() => void>;
  /** Why records are held now: a full disk, or an I/O error (its message); null when none are. */
  private failing: { cause: 'full' | 'io' } | null = null;
  /** The last write's I/O error, set by attempt(). */
  private ioError: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dropped = { read: 0, hit: 0 };

  constructor(
    private readonly deps: WriteGuardDeps,
    private readonly failed: WriteError,
  ) {
    this.held = new Holding(deps.limits);
  }

  /** Whether writes are failing now (records held for a full disk or a write error): the light is red. */
  get holding(): boolean {
    return this.failing !== null;
  }

  /** Records held in memory now, and those given up since start. */
  stats(): HeldStats {
    return {
      heldReads: this.held.count('read'),
      heldHits: this.held.count('hit'),
      droppedReads: this.dropped.read,
      droppedHits: this.dropped.hit,
    };
  }

  /** Stores with `write`, or holds it for a retry; true when it is stored now. */
  write(kind: HeldKind, size: () => number, write: () => void): boolean {
    if (this.attempt(kind, write) || (!this.ioError && this.freeAndRetry(kind, write))) {
      this.wrote();
      return true;
    }
    this.hold(kind, size(), write);
    return false;
  }

  /** Retries the held records now (the timer calls it; tests may too). */
  retry(): void {
    const first = this.held.next();
    if (!first) {
      this.stopTimer();
      return;
    }
    if (
      this.attempt(first.kind, first.value) ||
      (!this.ioError && this.freeAndRetry(first.kind, first.value))
    ) {
      this.held.done(first);
      this.wrote();
    }
  }

  /** One last try for the held records; returns how many could not be stored (lost with the process). */
  stop(): number {
    this.stopTimer();
    try {
      this.retry();
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'storing held records at stop failed');
    }
    const left = this.held.size;
    if (left > 0)
      this.deps.log.error(
        { reads: this.held.count('read'), hits: this.held.count('hit') },
        'stopping with records the disk refused',
      );
    return left;
  }

  private attempt(kind: HeldKind, write: () => void): boolean {
    this.ioError = null;
    try {
      write();
      return true;
    } catch (err) {
      if (isWriteError(err)) this.ioError = err as Error;
      else if (!isDiskFull(err)) this.failed(kind, err);
      return false;
    }
  }

  /**
   * Gives the reserve back to the disk (the room a delete needs), purges one step, puts the
   * reserve back when the disk has room for it again (before this record takes the room), and
   * retries; nothing here needs free space first. With nothing left to purge, the reserve's room
   * goes to this record: the reserve exists for hits and unsynced reads.
   */
  private freeAndRetry(kind: HeldKind, write: () => void): boolean {
    if (!this.failing) this.deps.log.error({ kind }, 'disk full; freeing synced data and retrying');
    for (let round = 0; round < 20; round++) {
      this.deps.reserve.release();
      let freed = 0;
      try {
        freed = this.deps.freeSpace();
      } catch (err) {
        // Even a delete can be refused on a full disk; holding the record is all that is left.
        if (!isDiskFull(err)) this.failed(kind, err);
      }
      if (freed === 0) return this.attempt(kind, write);
      this.deps.reserve.ensure();
      if (this.attempt(kind, write)) return true;
    }
    return false;
  }

  /** A good write: the light goes green at once, then held records follow and the reserve returns. */
  private wrote(): void {
    if (this.failing) {
      const after = this.failing.cause === 'full' ? 'a full disk' : 'a write error';
      this.failing = null;
      this.deps.light('green', `storing again after ${after}`);
      this.deps.log.info({ held: this.held.size }, 'disk accepts writes again');
    }
    let flushed = 0;
    for (let e = this.held.next(); e; e = this.held.next()) {
      if (!this.attempt(e.kind, e.value)) break;
      this.held.done(e);
      flushed++;
    }
    if (flushed > 0) this.deps.stored();
    if (this.held.size === 0) this.stopTimer();
    if (this.deps.reserve.missing) this.deps.reserve.ensure();
  }

  private hold(kind: HeldKind, bytes: number, write: () => void): void {
    const gone = this.held.add({ kind, bytes, value: write });
    const before = this.dropped.read + this.dropped.hit;
    for (const g of gone) this.dropped[g.kind]++;
    // Once per hundred dropped (and every dropped hit): the count matters, not a line per read.
    const hitsGone = gone.some((g) => g.kind === 'hit');
    if (
      gone.length > 0 &&
      (hitsGone || Math.floor(before / 100) !== Math.floor((before + gone.length) / 100) || before === 0)
    ) {
      this.deps.log.error(
        { droppedReads: this.dropped.read, droppedHits: this.dropped.hit, held: this.held.size },
        `${this.failing?.cause === 'io' ? 'store unwritable' : 'disk full'} and memory hold full: records dropped`,
      );
    }
    const io = this.ioError;
    if (!this.failing) {
      this.failing = { cause: io ? 'io' : 'full' };
      if (io) {
        // once a spell (each held read would otherwise log its own stack)
        this.deps.log.error(
          { err: io.message, code: (io as { code?: string }).code },
          'cannot write to the store: reads and hits held in memory and retried',
        );
        this.deps.light(
          'red',
          `cannot write to the store (${io.message}): reads and hits held in memory, retried`,
        );
      } else this.deps.light('red', 'disk full: reads and hits held in memory until space returns');
    }
    if (!this.timer && this.deps.retryMs > 0) {
      this.timer = setInterval(() => {
        try {
          this.retry();
        } catch (err) {
          this.deps.log.error({ err: (err as Error).message }, 'retrying held records failed');
        }
      }, this.deps.retryMs);
      this.timer.unref();
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export function isDiskFull(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'SQLITE_FULL';
}

/**
 * A write the storage refused for a reason that may pass: an I/O error (SQLITE_IOERR_*: an SD
 * card's EIO, a file made immutable), a database or filesystem become read-only, a file that cannot
 * be opened now. The record is held and retried, not lost. (A lock held by another process is not
 * among them: each try would wait out the busy timeout on the event loop.)
 */
export function isWriteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(IOERR|READONLY|CANTOPEN)(_|$)/.test(code);
}
