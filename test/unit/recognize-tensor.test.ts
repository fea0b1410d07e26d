import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/domain/types.ts';
import { DET_NORM, detInputSize, REC_NORM, recInputSize, regionToChw } from '../../src/recognize/tensor.ts';

/** 2x1 image: left pixel pure red, right pixel pure blue. */
const img: RgbImage = { width: 2, height: 1, data: Buffer.from([255, 0, 0, 0, 0, 255]) };

describe('regionToChw', () => {
  it('writes BGR planes with (x/255-0.5)/0.5 for the recognizer', () => {
    const t = regionToChw(img, { x: 0, y: 0, w: 2, h: 1 }, 2, 1, REC_NORM);
    // planes: B, G, R; each [left, right]
    expect(Array.from(t)).toEqual([-1, 1, -1, -1, 1, -1]);
  });

  it('applies mean/std per tensor channel (B gets mean[0]) for the detector', () => {
    const t = regionToChw(img, { x: 0, y: 0, w: 2, h: 1 }, 2, 1, DET_NORM);
    expect(t[0]).toBeCloseTo((0 - 0.485) / 0.229); // B of red pixel
    expect(t[1]).toBeCloseTo((1 - 0.485) / 0.229); // B of blue pixel
    expect(t[4]).toBeCloseTo((1 - 0.406) / 0.225); // R of red pixel
  });

  it('interpolates bilinearly when upsampling and leaves padding columns alone', () => {
    const t = regionToChw(img, { x: 0, y: 0, w: 2, h: 1 }, 4, 1, REC_NORM, 6);
    const r = Array.from(t.subarray(12, 18)); // R plane, width 6
    expect(r[0]).toBeCloseTo(1);
    expect(r[1]).toBeCloseTo(0.5);
    expect(r[2]).toBeCloseTo(-0.5);
    expect(r[3]).toBeCloseTo(-1);
    expect(r.slice(4)).toEqual([0, 0]);
  });
});

describe('input sizes', () => {
  it.each([
    [1280, 720, 960, { w: 960, h: 544 }],
    [1920, 1080, 960, { w: 960, h: 544 }],
    [720, 1280, 640, { w: 352, h: 640 }],
    [100, 10, 320, { w: 320, h: 32 }],
  ])('detector input for %ix%i at %i', (w, h, m, want) => {
    expect(detInputSize(w, h, m)).toEqual(want);
  });

  it.each([
    [100, 50, { w: 96, tensorW: 96 }],
    [1000, 50, { w: 320, tensorW: 320 }],
    [10, 50, { w: 10, tensorW: 16 }],
  ])('recognizer input for a %ix%i crop', (w, h, want) => {
    expect(recInputSize(w, h, 48, 320, 8)).toEqual(want);
  });
});
