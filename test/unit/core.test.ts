import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { uuidv7 } from '../../src/domain/ids.ts';
import { foldLookalikes, isLookalike, isPlausiblePlate, normalizePlate } from '../../src/domain/plate.ts';
import { buildRead, clockConfirmed, clockMark } from '../../src/domain/read.ts';
import type { Detection, HealthReport } from '../../src/domain/types.ts';
import { foldLights, lightOf } from '../../src/health/lights.ts';

describe('bus', () => {
  it('delivers to every handler, isolates a throwing one, and unsubscribes', () => {
    const errors: unknown[] = [];
    const bus = new Bus((_e, err) => errors.push(err));
    const got: number[] = [];
    bus.on('health', () => {
      throw new Error('boom');
    });
    const off = bus.on('health', (r) => got.push(r.at));
    const report: HealthReport = { component: 'gps', light: 'green', reason: 'ok', at: 1 };
    bus.emit('health', report);
    off();
    bus.emit('health', { ...report, at: 2 });
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(2);
    expect(bus.listenerCount('health')).toBe(1);
  });
});

describe('uuidv7', () => {
  it('is RFC 9562 shaped, carries the time, and sorts by creation even within one ms', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7(1_700_000_000_000));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const later = uuidv7(1_800_000_000_000);
    expect(Number.parseInt(later.replace(/-/g, '').slice(0, 12), 16)).toBe(1_800_000_000_000);
  });
});

describe('plate text', () => {
  it.each([
    ['7abc 123', '7ABC123'],
    ['ABC-1234', 'ABC1234'],
    [' x.y_z ', 'XYZ'],
  ])('normalizes %j → %s', (raw, want) => expect(normalizePlate(raw)).toBe(want));

  it.each([
    ['O0D', '000'],
    ['IL1', '111'],
    ['B8', '88'],
    ['S5Z2G6A4', '55226644'],
    ['ABC123', '48C123'],
  ])('folds look-alikes %s → %s', (raw, want) => expect(foldLookalikes(raw)).toBe(want));

  it('knows look-alike pairs and plausible plates', () => {
    expect(isLookalike('O', '0')).toBe(true);
    expect(isLookalike('O', '1')).toBe(false);
    expect(isPlausiblePlate('7ABC123')).toBe(true);
    expect(isPlausiblePlate('A')).toBe(false);
    expect(isPlausiblePlate('ABCDEFGHI')).toBe(false);
  });
});

describe('health lights', () => {
  const r = (component: string, light: HealthReport['light'], reason = 'x'): HealthReport => ({
    component,
    light,
    reason,
    at: 0,
  });

  it('maps components to lights', () => {
    expect(lightOf('camera:front')).toBe('cameras');
    expect(lightOf('server')).toBe('server');
    expect(lightOf('gps')).toBe('gps');
    expect(lightOf('hotlist')).toBe('system');
  });

  it('a light is as bad as its worst component, with every non-green reason', () => {
    const l = foldLights([
      r('camera:front', 'green', 'ok'),
      r('camera:rear', 'red', 'no frames for 12 s'),
      r('gps', 'amber', 'no fix yet'),
      r('server', 'green', 'ok'),
      r('recognizer', 'green', 'ok'),
    ]);
    expect(l.cameras).toEqual({ light: 'red', reasons: ['camera:rear: no frames for 12 s'] });
    expect(l.gps.light).toBe('amber');
    expect(l.server).toEqual({ light: 'green', reasons: ['ok'] });
    expect(l.system.light).toBe('green');
  });

  it('never shows green for a light nobody reported into, unless it is not configured', () => {
    const l = foldLights([], { server: false });
    expect(l.cameras.light).toBe('amber');
    expect(l.server.light).toBe('green');
  });
});

describe('buildRead', () => {
  it('carries the reading, the frame and the position at capture time', () => {
    const det: Detection = {
      frame: {
        cameraId: 'front',
        orientation: 'front',
        seq: 3,
        capturedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
        width: 10,
        height: 10,
      },
      reading: {
        box: { x: 1, y: 2, w: 3, h: 4 },
        text: '7ABC123',
        confidence: 0.9,
        candidates: [{ text: '7ABC123', confidence: 0.9 }],
        charConfidences: [],
        detScore: 0.8,
      },
      frames: 1,
    };
    const read = buildRead(
      det,
      { lat: null, lon: null, reason: 'no-fix' },
      { unitId: 'u1', operatorId: null, modelVersion: 'm1' },
    );
    expect(read).toMatchObject({
      plate: '7ABC123',
      cameraId: 'front',
      orientation: 'front',
      capturedAt: '2026-01-02T03:04:05.000Z',
      position: { lat: null, reason: 'no-fix' },
      unitId: 'u1',
      modelVersion: 'm1',
    });
    expect(read.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(read).not.toHaveProperty('hotlistVersions');
    const versioned = buildRead(
      det,
      { lat: null, lon: null, reason: 'no-fix' },
      { unitId: 'u1', operatorId: null, modelVersion: 'm1', hotlistVersions: { SVS: 7, LOCAL: 3 } },
    );
    expect(versioned.hotlistVersions).toEqual({ SVS: 7, LOCAL: 3 });
    expect(read).not.toHaveProperty('clockOffsetMs');
    const marked = buildRead(
      det,
      { lat: null, lon: null, reason: 'no-fix' },
      { unitId: 'u1', operatorId: null, modelVersion: 'm1', clockOffsetMs: clockMark(-5_400.4, 2) },
    );
    expect(marked.clockOffsetMs).toBe(-5_400);
  });
});

describe('clockConfirmed', () => {
  it('takes the clock as it is without a receiver; with one, only while a timed fix agrees', () => {
    expect(clockConfirmed('none', null, 2)).toBe(true);
    expect(clockConfirmed('replay', null, 2)).toBe(true);
    expect(clockConfirmed('serial', null, 2)).toBe(false);
    expect(clockConfirmed('gpsd', -300, 2)).toBe(true);
    expect(clockConfirmed('gpsd', -2_000, 2)).toBe(false);
    expect(clockConfirmed('serial', 3 * 365 * 86_400_000, 2)).toBe(false);
  });
});

describe('clockMark', () => {
  it('marks a capture only when the clock is off GPS time by the limit or more', () => {
    expect(clockMark(null, 2)).toBeNull();
    expect(clockMark(Number.NaN, 2)).toBeNull();
    expect(clockMark(1_999, 2)).toBeNull();
    expect(clockMark(-1_999, 2)).toBeNull();
    expect(clockMark(2_000, 2)).toBe(2_000);
    expect(clockMark(-3_600_000.6, 2)).toBe(-3_600_001);
  });
});
