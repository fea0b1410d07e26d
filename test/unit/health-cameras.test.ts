import { describe, expect, it } from 'vitest';
import { formatCameras, isCameraRates } from '../../src/health/cameras.ts';
import { formatStatus } from '../../src/health/format.ts';
import type { Lights } from '../../src/health/lights.ts';

describe('cameras line of alpr status', () => {
  it.each([
    [[], 'cameras: none configured'],
    [[{ id: 'front', fpsIn: 14.96, fpsProcessed: 2.71 }], 'cameras: front 15.0 fps in, 2.7 read'],
    [
      [
        { id: 'a', fpsIn: 15, fpsProcessed: 5 },
        { id: 'b', fpsIn: 0, fpsProcessed: 0 },
      ],
      'cameras: a 15.0 fps in, 5.0 read · b 0.0 fps in, 0.0 read',
    ],
  ])('formatCameras(%j)', (cams, want) => {
    expect(formatCameras(cams)).toBe(want);
  });

  it.each([
    [[{ id: 'a', fpsIn: 1, fpsProcessed: 0 }], true],
    [[], true],
    [null, false],
    [{ id: 'a' }, false],
    [[{ id: 'a', fpsIn: '1', fpsProcessed: 0 }], false],
  ])('isCameraRates(%j) → %s', (x, want) => {
    expect(isCameraRates(x)).toBe(want);
  });

  it('goes after the lights and before the upload line; absent from an older daemon', () => {
    const green = { light: 'green' as const, reasons: ['ok'] };
    const lights: Lights = { cameras: green, server: green, gps: green, system: green };
    const cameras = [{ id: 'front', fpsIn: 15, fpsProcessed: 3 }];
    const text = formatStatus(
      {
        status: 'green',
        lights,
        cameras,
        upload: { depth: 0, lastAckedAt: null, lastAckedAgeS: null, oldestAgeS: null },
      },
      { color: false },
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[5]).toBe('cameras: front 15.0 fps in, 3.0 read');
    expect(formatStatus({ status: 'green', lights }, { color: false })).not.toContain('cameras:');
  });
});
