/** Hour buckets of a unit's tally of synced records (src/sync/reconcile.ts). Pure. */
import type { TallyBucket } from './ports.ts';

export const HOUR_MS = 3_600_000;

/** Merges per-hour counts of reads and of hits into buckets, oldest first (empty hours left out). */
export function toBuckets(
  reads: readonly { h: number; n: number }[],
  hits: readonly { h: number; n: number }[],
): TallyBucket[] {
  const by = new Map<number, TallyBucket>();
  const at = (h: number) => {
    const b = by.get(h) ?? { from: h, reads: 0, hits: 0 };
    by.set(h, b);
    return b;
  };
  for (const r of reads) at(r.h).reads += r.n;
  for (const r of hits) at(r.h).hits += r.n;
  return [...by.values()].sort((a, b) => a.from - b.from);
}
