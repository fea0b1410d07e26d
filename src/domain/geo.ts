/** Compass and position arithmetic (pure), shared by the GPS stage and the hit path. */
import type { Orientation, ReadPosition } from './types.ts';

const POINTS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;

/** 8-point compass name of a bearing in degrees (any value; wraps). */
export function compassPoint(deg: number): string {
  const i = Math.round((((deg % 360) + 360) % 360) / 45) % 8;
  return POINTS[i]!;
}

/** Below this ground speed a receiver's course over ground is noise (a parked car "turns"). */
export const MIN_SPEED_FOR_COURSE_MS = 2;

/** The patrol car's course from a read's position, or null when unknown or standing still. */
export function courseForDirection(pos: ReadPosition): number | null {
  if (pos.lat === null || pos.course === null) return null;
  if (pos.speed === null || pos.speed < MIN_SPEED_FOR_COURSE_MS) return null;
  return pos.course;
}

/**
 * Likely direction of travel of the vehicle a camera observed, for dispatch (D.6).
 *
 * Assumptions, since one frame cannot tell which way the other car moves:
 * - `front` and `rear` cameras look along the patrol car's own lanes: a front camera reads the
 *   rear plates of lead traffic, a rear camera the front plates of following traffic. Both travel
 *   the way the patrol car does, so the answer is the patrol car's course (e.g. `NE`). Oncoming
 *   traffic seen by a front camera is the exception this cannot detect.
 * - `left` and `right` cameras look across: they see parked cars and cross traffic at
 *   intersections, moving either way along the axis perpendicular to the patrol car's course.
 *   The answer is that axis, both ends, e.g. `NW/SE` for a car heading NE.
 *
 * `courseDeg` is the patrol car's course over ground in degrees true; null (unknown, or the car is
 * standing still — see courseForDirection) gives null: no direction rather than a guess.
 */
export function observedDirection(courseDeg: number | null, orientation: Orientation): string | null {
  if (courseDeg === null || !Number.isFinite(courseDeg)) return null;
  if (orientation === 'front' || orientation === 'rear') return compassPoint(courseDeg);
  return `${compassPoint(courseDeg - 90)}/${compassPoint(courseDeg + 90)}`;
}

const EARTH_RADIUS_M = 6_371_008.8;

/**
 * Where a vehicle at (lat, lon) moving at `speed` m/s on `course` degrees is after `dtS` seconds
 * (great-circle, for the few seconds of dead reckoning the GPS stage allows).
 */
export function projectPosition(
  lat: number,
  lon: number,
  speed: number,
  course: number,
  dtS: number,
): { lat: number; lon: number } {
  const d = (speed * dtS) / EARTH_RADIUS_M;
  const th = (course * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(th));
  const l2 =
    l1 + Math.atan2(Math.sin(th) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  const lonDeg = ((((l2 * 180) / Math.PI + 540) % 360) + 360) % 360;
  return { lat: (p2 * 180) / Math.PI, lon: lonDeg - 180 };
}

/** Great-circle distance in metres between two positions (haversine). */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = Math.PI / 180;
  const dp = (b.lat - a.lat) * r;
  const dl = (b.lon - a.lon) * r;
  const h = Math.sin(dp / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
