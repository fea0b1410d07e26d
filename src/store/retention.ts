/** Retention arithmetic: pure functions (policy C.1, rules 8–9 of POLICY.md). */

export const DAY_MS = 86_400_000;
/** Policy: detection data is never kept past two years, unless held as evidence. */
export const HARD_MAX_DAYS = 730;

/**
 * Records stamped before CLOCK_FLOOR_MS were stamped by a clock not yet set: the hard maximum never
 * purges them while they are unsynced; they go once the server has them (then by the retention rule).
 */
export { CLOCK_FLOOR_MS } from '../domain/policy.ts';

export type PurgeReason = 'retention' | 'hard-max' | 'disk-watermark';

export interface PurgeRule {
  reason: PurgeReason;
  /** Reads captured strictly before this epoch ms are candidates. */
  before: number;
  /** Whether unsynced reads may go too (only at the hard maximum). */
  includeUnsynced: boolean;
}

/**
 * The purge rules for a moment: synced reads past the configured retention, and every read
 * (synced or not) past the hard maximum. Held reads are excluded by the caller's query, always.
 */
export function retentionRules(now: number, retentionDays: number): PurgeRule[] {
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > HARD_MAX_DAYS) {
    throw new RangeError(`retentionDays must be an integer in 1..${HARD_MAX_DAYS}, got ${retentionDays}`);
  }
  return [
    { reason: 'retention', before: now - retentionDays * DAY_MS, includeUnsynced: false },
    { reason: 'hard-max', before: now - HARD_MAX_DAYS * DAY_MS, includeUnsynced: true },
  ];
}

/** Free-space state against the watermark: ok, low (purge synced data), or critical (half the mark). */
export function diskState(freeBytes: number, minFreeMb: number): 'ok' | 'low' | 'critical' {
  if (minFreeMb <= 0) return 'ok';
  const mark = minFreeMb * 1024 * 1024;
  if (freeBytes >= mark) return 'ok';
  return freeBytes >= mark / 2 ? 'low' : 'critical';
}
