/** What a read carries for position (pure): a fresh fix, a flagged dead-reckoned one, or a reason. */
import { projectPosition } from '../domain/geo.ts';
import type { Fix, ReadPosition } from '../domain/types.ts';

export interface PositionInput {
  atMs: number;
  configured: boolean;
  lastDataAt: number | null;
  lastFix: Fix | null;
  fixLost: boolean;
  maxFixAgeMs: number;
  noDataTimeoutMs: number;
  deadReckonMs: number;
}

/**
 * The freshest fix and its age at `atMs`. A fix counts while it is at most maxFixAge old (measured
 * either way: a fix that arrived just after the capture is as good as one just before). Past that,
 * when dead reckoning is on, it is projected along its speed and course for deadReckon more ms and
 * flagged. Receiver estimates (quality `estimated`) are flagged as dead-reckoned too.
 * Otherwise: `no-gps` (no receiver or silent), `no-fix` (receiver has none), `stale-fix`.
 */
export function readPosition(p: PositionInput): ReadPosition {
  if (!p.configured) return { lat: null, lon: null, reason: 'no-gps' };
  const silent = p.lastDataAt === null || p.atMs - p.lastDataAt > p.noDataTimeoutMs;
  const f = p.lastFix;
  if (f === null || p.fixLost) return { lat: null, lon: null, reason: silent ? 'no-gps' : 'no-fix' };
  const age = p.atMs - f.receivedAt;
  const fixAgeMs = Math.max(0, age);
  if (Math.abs(age) <= p.maxFixAgeMs) {
    return {
      lat: f.lat,
      lon: f.lon,
      speed: f.speed,
      course: f.course,
      quality: f.quality,
      fixAgeMs,
      deadReckoned: f.quality === 'estimated',
    };
  }
  if (age > 0 && age <= p.maxFixAgeMs + p.deadReckonMs && f.speed !== null && f.course !== null) {
    const at = projectPosition(f.lat, f.lon, f.speed, f.course, age / 1000);
    return { ...at, speed: f.speed, course: f.course, quality: f.quality, fixAgeMs, deadReckoned: true };
  }
  return { lat: null, lon: null, reason: silent ? 'no-gps' : 'stale-fix' };
}
