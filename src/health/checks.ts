/**
 * Pure decisions of the system checks the health stage runs itself. Each takes measured values
 * and returns a light with a reason an officer or technician can read; the I/O is in probes.ts.
 */
import type { Light } from '../domain/types.ts';

export interface Verdict {
  light: Light;
  reason: string;
}

const MB = 1024 * 1024;

function size(bytes: number): string {
  if (bytes >= 10 * 1024 * MB) return `${Math.round(bytes / (1024 * MB))} GB`;
  if (bytes >= 1024 * MB) return `${(bytes / (1024 * MB)).toFixed(1)} GB`;
  return `${Math.round(bytes / MB)} MB`;
}

/** Free space of the data folder against the amber/red watermarks (MB). */
export function diskVerdict(
  freeBytes: number,
  totalBytes: number,
  limits: { amberFreeMb: number; redFreeMb: number },
): Verdict {
  const pct = totalBytes > 0 ? Math.round((freeBytes / totalBytes) * 100) : 0;
  const what = `${size(freeBytes)} free (${pct} %)`;
  if (freeBytes < limits.redFreeMb * MB) return { light: 'red', reason: `disk nearly full: ${what}` };
  if (freeBytes < limits.amberFreeMb * MB) return { light: 'amber', reason: `disk low: ${what}` };
  return { light: 'green', reason: what };
}

/** CPU temperature in °C against the amber/red limits. */
export function temperatureVerdict(celsius: number, limits: { amberC: number; redC: number }): Verdict {
  const t = `${Math.round(celsius)} °C`;
  if (celsius >= limits.redC) return { light: 'red', reason: `CPU too hot: ${t}` };
  if (celsius >= limits.amberC) return { light: 'amber', reason: `CPU hot: ${t}` };
  return { light: 'green', reason: t };
}

/** A sysfs thermal file holds millidegrees; some boards give whole degrees. Null when unreadable. */
export function parseThermal(text: string): number | null {
  const n = Number(text.trim());
  if (!Number.isFinite(n) || text.trim() === '') return null;
  return Math.abs(n) >= 1000 ? n / 1000 : n;
}

/**
 * The system clock is sane when its year is not before `minYear` (an RTC-less board boots in
 * 1970) and, when the GPS knows the time, it is within `maxOffsetS` of it.
 */
export function clockVerdict(
  nowMs: number,
  gpsOffsetMs: number | null,
  limits: { minYear: number; maxOffsetS: number },
): Verdict {
  const year = new Date(nowMs).getUTCFullYear();
  if (year < limits.minYear) return { light: 'red', reason: `clock not set (system year ${year})` };
  if (gpsOffsetMs === null) return { light: 'green', reason: 'clock set (no GPS time to compare)' };
  const s = Math.abs(gpsOffsetMs) / 1000;
  const text = s < 10 ? s.toFixed(1) : String(Math.round(s));
  const dir = gpsOffsetMs > 0 ? 'behind' : 'ahead of';
  if (s >= limits.maxOffsetS) return { light: 'red', reason: `clock ${text} s ${dir} GPS time` };
  return { light: 'green', reason: `clock within ${text} s of GPS time` };
}
