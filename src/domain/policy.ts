/** Texts and limits the agency's policy asks of the unit and its server (see POLICY.md). */

/** Policy rule 4: shown with every hit, everywhere a hit is shown. */
export const VERIFY_BANNER =
  'VERIFY WITH DISPATCH (CLETS/NCIC) BEFORE ACTING. An ALPR hit is not by itself grounds for a stop.';

/**
 * Capture times before this (2024-01-01 UTC, the unit's health.clock.minYear by default) were
 * stamped by a clock not yet set: a unit without a real-time clock boots in its image's past until
 * its first GPS fix or NTP answer. Their age is unknown, so retention never judges a record by
 * such a time: the unit keeps it unsynced, the server counts from when it arrived (rule 8).
 */
export const CLOCK_FLOOR_MS = Date.UTC(2024, 0, 1);
