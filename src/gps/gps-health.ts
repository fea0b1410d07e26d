/** The GPS light (pure): what a technician and the start-of-shift check see. */
import type { Fix, FixQuality, Light } from '../domain/types.ts';

/** Rank of a fix quality; receiver estimates, manual and simulated positions rank below GPS. */
const RANK: Record<FixQuality, number> = {
  none: 0,
  estimated: 1,
  manual: 1,
  sim: 1,
  gps: 2,
  dgps: 3,
  pps: 3,
  'float-rtk': 4,
  rtk: 5,
};

export function qualityAtLeast(q: FixQuality, min: FixQuality): boolean {
  return RANK[q] >= RANK[min];
}

export interface GpsHealthInput {
  now: number;
  /** Last time the receiver said anything (bytes, gpsd report), or null if never. */
  lastDataAt: number | null;
  /**
   * Since when bytes have come without a single valid NMEA sentence among them (the first byte
   * after the last valid one), or null when the last data held one (or came decoded, from gpsd).
   */
  noSentenceSince?: number | null;
  /** Lines refused (garbage, missing or wrong checksums) since the last valid sentence. */
  unreadableLines?: number;
  linkUp: boolean;
  linkReason: string;
  /** When the stage started: the receiver gets noDataTimeoutMs from then for its first data. */
  startedAt?: number;
  /** Whether the source has said yet whether its link is up (false: still opening it). */
  linkReported?: boolean;
  lastFix: Fix | null;
  /** True when the newest epoch had no fix (the receiver lost it after lastFix). */
  fixLost: boolean;
  /** The receiver time it keeps repeating lastFix under (frozen), else null or absent. */
  repeating?: string | null;
  satellitesInView: number | null;
  maxFixAgeMs: number;
  noDataTimeoutMs: number;
  minQuality: FixQuality;
}

export interface GpsLight {
  light: Light;
  reason: string;
}

const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function gpsLight(h: GpsHealthInput): GpsLight {
  if (h.lastDataAt === null || h.now - h.lastDataAt > h.noDataTimeoutMs) {
    // a receiver being opened, or just opened, has its first no-data timeout to speak (no red
    // flash at start-up); one that cannot be opened is red at once
    const starting =
      h.lastDataAt === null && h.startedAt !== undefined && h.now - h.startedAt <= h.noDataTimeoutMs;
    if (starting && (h.linkUp || h.linkReported === false))
      return { light: 'amber', reason: `waiting for the GPS receiver's first data (${h.linkReason})` };
    if (!h.linkUp) return { light: 'red', reason: h.linkReason };
    if (h.lastDataAt === null)
      return { light: 'red', reason: `no data from the GPS receiver yet (${h.linkReason})` };
    return { light: 'red', reason: `no data from the GPS receiver for ${secs(h.now - h.lastDataAt)}` };
  }
  const since = h.noSentenceSince ?? null;
  if (since !== null && h.now - since > h.noDataTimeoutMs) {
    // bytes, but nothing a receiver at the right speed would send: the light says what to check
    const lines = h.unreadableLines ? `, ${h.unreadableLines} unreadable lines` : '';
    return {
      light: 'red',
      reason: `GPS receiver sends data but no valid NMEA sentence for ${secs(h.now - since)}${lines}: wrong baud rate, or not an NMEA receiver?`,
    };
  }
  const inView = h.satellitesInView === null ? '' : ` (${h.satellitesInView} satellites in view)`;
  if (h.lastFix === null)
    return { light: 'amber', reason: `GPS receiver sends data but has no fix yet${inView}` };
  if (h.fixLost) return { light: 'amber', reason: `GPS receiver lost its fix${inView}` };
  const age = h.now - h.lastFix.receivedAt;
  if (age > h.maxFixAgeMs && h.repeating)
    return {
      light: 'amber',
      reason: `GPS receiver repeats its fix of ${h.repeating.slice(11, 19)} UTC: its time has not moved for ${secs(age)} (reads carry no position)`,
    };
  if (age > h.maxFixAgeMs) return { light: 'amber', reason: `last GPS fix is ${secs(age)} old` };
  const f = h.lastFix;
  if (!qualityAtLeast(f.quality, h.minQuality)) {
    return { light: 'amber', reason: `GPS fix quality ${f.quality} is below the required ${h.minQuality}` };
  }
  const sats = f.sats === null ? '' : `, ${f.sats} satellites`;
  const hdop = f.hdop === null ? '' : `, HDOP ${f.hdop}`;
  return { light: 'green', reason: `GPS fix (${f.quality}${sats}${hdop})` };
}
