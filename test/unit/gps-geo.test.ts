import { describe, expect, it } from 'vitest';
import {
  compassPoint,
  courseForDirection,
  observedDirection,
  projectPosition,
} from '../../src/domain/geo.ts';
import type { Orientation, ReadPosition } from '../../src/domain/types.ts';

describe('observedDirection', () => {
  it.each<[number | null, Orientation, string | null]>([
    [0, 'front', 'N'],
    [44, 'front', 'NE'],
    [91, 'rear', 'E'],
    [359, 'rear', 'N'],
    [202.4, 'front', 'S'],
    [225, 'front', 'SW'],
    [0, 'left', 'W/E'],
    [45, 'right', 'NW/SE'],
    [90, 'left', 'N/S'],
    [null, 'front', null],
    [Number.NaN, 'rear', null],
  ])('course %s, %s camera → %s', (course, o, want) => {
    expect(observedDirection(course, o)).toBe(want);
  });

  it.each([
    [-45, 'NW'],
    [337.4, 'NW'],
    [337.6, 'N'],
    [720, 'N'],
  ])('compassPoint(%d) = %s', (deg, want) => expect(compassPoint(deg)).toBe(want));

  it('ignores the course of a car standing still', () => {
    const base: ReadPosition = {
      lat: 1,
      lon: 2,
      speed: 0.3,
      course: 90,
      quality: 'gps',
      fixAgeMs: 0,
      deadReckoned: false,
    };
    expect(courseForDirection(base)).toBeNull();
    expect(courseForDirection({ ...base, speed: 10 })).toBe(90);
    expect(courseForDirection({ lat: null, lon: null, reason: 'no-fix' })).toBeNull();
  });
});

describe('projectPosition', () => {
  it('moves about 111 m per 0.001° of latitude going north', () => {
    const p = projectPosition(38, -121, 11.1195, 0, 10);
    expect(p.lat).toBeCloseTo(38.001, 5);
    expect(p.lon).toBeCloseTo(-121, 9);
  });

  it('going east shrinks with latitude', () => {
    const p = projectPosition(60, 10, 10, 90, 10);
    expect(p.lat).toBeCloseTo(60, 5);
    expect(p.lon - 10).toBeCloseTo(100 / (111195 * 0.5), 6);
  });

  it('wraps across the antimeridian', () => {
    expect(projectPosition(0, 179.9999, 100, 90, 10).lon).toBeLessThan(-179.99);
  });
});
