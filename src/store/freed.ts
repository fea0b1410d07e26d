/** What a purge freed, how it is logged, and the small helpers the purges share. */
import type { Logger } from '../core/log.ts';
import type { PurgeReason } from './retention.ts';

export interface PurgeResult {
  /** Reads purged, and the range of their capture times. */
  count: number;
  from: number | null;
  to: number | null;
  /** Hits purged (with their reads, or on their own when their read is gone). */
  hits: number;
  /** Images purged with their reads. */
  images: number;
}

export interface SpaceFreed {
  /** Synced images purged. */
  images: number;
  /** Synced reads purged (with their synced hits and images). */
  reads: PurgeResult;
  /** Overview images of unsynced reads purged. */
  overviews: number;
}

export function emptyPurge(): PurgeResult {
  return { count: 0, from: null, to: null, hits: 0, images: 0 };
}

/** Runs a step whose failure costs nothing but space that a later run gets back. */
export function bestEffort(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // A checkpoint or vacuum on a full disk: the next purge or write retries it.
  }
}

/** Every purge with a count is logged (no plate, only counts and the capture-time range). */
export function logPurge(log: Logger, reason: PurgeReason, r: PurgeResult): void {
  if (r.count === 0 && r.hits === 0) return;
  const range =
    r.count === 0 ? {} : { from: new Date(r.from ?? 0).toISOString(), to: new Date(r.to ?? 0).toISOString() };
  const msg = { count: r.count, ...range, hits: r.hits, images: r.images, reason };
  if (reason === 'retention') log.info(msg, 'purged reads');
  else log.warn(msg, 'purged reads');
}

/** Logs one step of freeing space; returns the number of rows and images it purged. */
export function logFreed(log: Logger, f: SpaceFreed): number {
  if (f.images > 0) log.warn({ count: f.images, reason: 'disk-watermark' }, 'purged images');
  if (f.overviews > 0)
    log.warn({ count: f.overviews, reason: 'disk-full' }, 'purged overview images of unsynced reads');
  logPurge(log, 'disk-watermark', f.reads);
  return f.images + f.reads.count + f.reads.hits + f.overviews;
}
