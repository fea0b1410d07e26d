/**
 * Receiver UTC from NMEA date + time of day, with the GPS week-rollover correction (pure).
 *
 * The GPS week counter in the navigation message is 10 bits wide: it wraps every 1024 weeks
 * (1999-08-22, 2019-04-07). A receiver whose firmware does not know which 1024-week era it is in
 * reports dates exactly 1024 weeks (19.6 years) in the past. No unit running this software can
 * truly be before 2017-01-01 (the last leap second, TAI−UTC = 37 s), so any date before that is
 * moved forward by 1024 weeks until it is not. gpsd applies the same test (timebase.c,
 * gpsd_utc_resolve), which keeps our decoded times equal to its output.
 */
import type { YMD } from './nmea-sentences.ts';

export const WEEK_ROLLOVER_MS = 1024 * 7 * 86_400_000;
/** Earliest plausible receiver date: the 2017-01-01 leap second. */
export const ROLLOVER_PIVOT_MS = Date.UTC(2017, 0, 1);
const DAY_MS = 86_400_000;

/** Epoch ms of a receiver date + time of day, corrected for week rollover. */
export function receiverUtcMs(date: YMD, todMs: number): number {
  let t = Date.UTC(date.y, date.m - 1, date.d) + todMs;
  // NaN (a year no Date holds) and far-past values would make the loop below useless or long.
  if (!Number.isFinite(t) || t < ROLLOVER_PIVOT_MS - 4 * WEEK_ROLLOVER_MS) return Number.NaN;
  while (t < ROLLOVER_PIVOT_MS) t += WEEK_ROLLOVER_MS;
  return t;
}

/**
 * The date that goes with a time of day seen after the date was last given: when the time of day
 * has gone back by more than 12 h, midnight has passed (a GGA-only epoch at 00:00:01 after an RMC
 * dated the day before).
 */
export function dateForTod(date: YMD, dateTod: number, tod: number): YMD {
  if (tod >= dateTod - DAY_MS / 2) return date;
  const next = new Date(Date.UTC(date.y, date.m - 1, date.d) + DAY_MS);
  return { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() };
}
