/**
 * The central store's retention (policy rule 8, C.1): detection data (reads, hits, images) is kept
 * at least 90 days and at most 2 years, then purged, unless it is evidence under a legal hold.
 * Pure arithmetic; the store runs the purge and logs it.
 */
import { AlprError, ErrorCodes } from '../domain/errors.ts';

export const DAY_MS = 86_400_000;
/** Policy C.1: detection data is kept at least this long. */
export const CENTRAL_MIN_DAYS = 90;
/** Policy C.1: and never past this, unless held. */
export const CENTRAL_MAX_DAYS = 730;

/** Refuses a retention outside the policy's bounds (a coded error naming them). */
export function checkRetentionDays(days: number): number {
  if (!Number.isInteger(days) || days < CENTRAL_MIN_DAYS || days > CENTRAL_MAX_DAYS) {
    throw new AlprError(
      ErrorCodes.CENTRAL_RETENTION,
      `retention must be a whole number of days from ${CENTRAL_MIN_DAYS} to ${CENTRAL_MAX_DAYS} (policy rule 8), got ${days}`,
    );
  }
  return days;
}

/** Detection data captured strictly before this moment (epoch ms) is purged, unless held. */
export function purgeCutoff(now: number, days: number): number {
  return now - checkRetentionDays(days) * DAY_MS;
}

/** One purge, as the purge log keeps it. */
export interface PurgeEntry {
  at: number;
  cutoff: number;
  retentionDays: number;
  /** Records deleted (reads, hits, images). */
  purged: number;
  /** Records past the cutoff kept because a legal hold names their read. */
  heldKept: number;
  /** Capture times of the oldest and newest purged record (null when none). */
  oldest: number | null;
  newest: number | null;
}
