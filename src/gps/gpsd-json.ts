/**
 * gpsd's JSON protocol (pure): TPV reports → fixes. https://gpsd.io/gpsd_json.html
 * TPV `mode` 0/1 is no fix; 2 and 3 carry a position. `status` refines the quality.
 */
import type { Fix, FixQuality } from '../domain/types.ts';

/** The `?WATCH` command that turns on JSON reports (optionally for one device). */
export function watchCommand(device?: string): string {
  const w: Record<string, unknown> = { enable: true, json: true };
  if (device) w.device = device;
  return `?WATCH=${JSON.stringify(w)}\n`;
}

/** gpsd `status` (gps.h STATUS_*) → our quality; absent or 1 means a plain GPS fix. */
export function gpsdQuality(status: unknown): FixQuality {
  switch (status) {
    case 2:
      return 'dgps';
    case 3:
      return 'rtk';
    case 4:
      return 'float-rtk';
    case 5:
    case 6:
      return 'estimated';
    case 8:
      return 'sim';
    case 9:
      return 'pps';
    default:
      return 'gps';
  }
}

export type GpsdMessage =
  | { kind: 'fix'; fix: Fix }
  | { kind: 'nofix' }
  | { kind: 'sky'; hdop: number | null; used: number | null }
  | { kind: 'other'; cls: string };

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A number within [lo, hi], else null: gpsd passes on what a confused receiver says. */
const within = (v: unknown, lo: number, hi: number): number | null => {
  const n = numOrNull(v);
  return n !== null && n >= lo && n <= hi ? n : null;
};

/** gpsd's ISO 8601 time, kept only when it is a real instant (a garbage string is no time). */
function isoTime(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 40) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? v : null;
}

/** One line from gpsd; null when it is not a JSON object. `sky` gives what TPV lacks. */
export function parseGpsdLine(
  line: string,
  receivedAt: number,
  sky: { hdop: number | null; used: number | null },
): GpsdMessage | null {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(line);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    o = v as Record<string, unknown>;
  } catch {
    return null;
  }
  const cls = typeof o.class === 'string' ? o.class : '';
  if (cls === 'SKY') {
    // Entries are checked one by one: `"satellites":[null]` must not throw.
    const sats: unknown[] | null = Array.isArray(o.satellites) ? o.satellites : null;
    const usedOf = (s: unknown) =>
      typeof s === 'object' && s !== null && (s as { used?: unknown }).used === true;
    const used = within(o.uSat, 0, 255) ?? (sats ? sats.filter(usedOf).length : null);
    return { kind: 'sky', hdop: within(o.hdop, 0, 100), used };
  }
  if (cls !== 'TPV') return { kind: 'other', cls };
  const lat = numOrNull(o.lat);
  const lon = numOrNull(o.lon);
  const mode = numOrNull(o.mode) ?? 0;
  if (mode < 2 || lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    return { kind: 'nofix' };
  }
  return {
    kind: 'fix',
    fix: {
      time: isoTime(o.time),
      lat,
      lon,
      alt: mode === 3 ? (within(o.altMSL, -500, 20_000) ?? within(o.alt, -500, 20_000)) : null,
      speed: within(o.speed, 0, 515),
      course: within(o.track, 0, 360),
      quality: gpsdQuality(o.status),
      sats: sky.used,
      hdop: sky.hdop,
      receivedAt,
    },
  };
}
