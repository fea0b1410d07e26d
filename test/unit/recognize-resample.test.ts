/**
 * The WebAssembly resampler behind regionToChw (src/recognize/resample.ts, resample.wat): it must
 * give the JavaScript resampler's tensors to the bit (the models' reads may not move with it), on
 * whole frames shrunk and enlarged, fractional crops, regions at and past the image's edges, and
 * after its memory has grown; the bytes it runs must be what its source assembles to.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../scripts/build-wasm.ts';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { RESAMPLE_WASM } from '../../src/recognize/resample-wasm.ts';
import { resampleChwWasm, wasmResampler } from '../../src/recognize/resample.ts';
import {
  DET_NORM,
  detInputSize,
  type Norm,
  REC_NORM,
  regionToChw,
  regionToChwJs,
} from '../../src/recognize/tensor.ts';

const RGB_NORM: Norm = { ...REC_NORM, bgr: false };

/** An image of pseudo-random pixels (a fixed sequence), with some smooth structure. */
function noise(width: number, height: number, seed = 1): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = ((s >>> 16) & 127) + ((i / 3) % width > width / 2 ? 128 : 0);
  }
  return { width, height, data };
}

/** Both resamplers into tensors pre-filled with a sentinel (columns right of outW must keep it). */
function both(img: RgbImage, src: Box, outW: number, outH: number, norm: Norm, tensorW = outW) {
  const js = new Float32Array(3 * outH * tensorW).fill(7);
  const wasm = new Float32Array(3 * outH * tensorW).fill(7);
  regionToChwJs(img, src, outW, outH, norm, tensorW, js);
  const ran = resampleChwWasm(img, src, outW, outH, norm, tensorW, wasm);
  return { js, wasm, ran };
}

/** Indices where two tensors differ (Object.is: the same bits for these finite values). */
function differences(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('WebAssembly resampler', () => {
  it('runs on this runtime (WebAssembly SIMD), and its bytes are what resample.wat assembles to', async () => {
    expect(wasmResampler()).toBe(true);
    expect(Buffer.from(await assemble('resample')).equals(RESAMPLE_WASM)).toBe(true);
  });

  it.each([
    [1280, 720],
    [1920, 1080],
    [640, 480],
    [405, 300],
  ])('a whole %ix%i frame as the detector reads it: the same tensor to the bit', (w, h) => {
    const img = noise(w, h, w);
    const { w: ow, h: oh } = detInputSize(w, h, 768);
    const { js, wasm, ran } = both(img, { x: 0, y: 0, w, h }, ow, oh, DET_NORM);
    expect(ran).toBe(true);
    expect(differences(js, wasm)).toBe(0);
  });

  it('fractional crops, narrower than their tensor: the same values, the padding columns untouched', () => {
    const img = noise(1280, 720, 9);
    const crops: Box[] = [
      { x: 301.3, y: 200.7, w: 97.2, h: 41.5 },
      { x: 0, y: 0, w: 30, h: 12 },
      // at and past the right and bottom edges (clamped as the JavaScript resampler clamps)
      { x: 1250.5, y: 700.25, w: 29.5, h: 19.75 },
      { x: 1270, y: 710, w: 40, h: 20 },
      { x: -5, y: -3, w: 50, h: 20 },
    ];
    for (const c of crops)
      for (const norm of [REC_NORM, RGB_NORM]) {
        const { js, wasm, ran } = both(img, c, 100, 48, norm, 128);
        expect(ran).toBe(true);
        expect(differences(js, wasm), JSON.stringify(c)).toBe(0);
        // column 100 of the first row of each plane still holds the sentinel
        for (let p = 0; p < 3; p++) expect(wasm[p * 48 * 128 + 100]).toBe(7);
      }
  });

  it('a 2-pixel-wide image and a 1-row image', () => {
    for (const [w, h] of [
      [2, 5],
      [9, 1],
    ] as const) {
      const img = noise(w, h, 3);
      const { js, wasm, ran } = both(img, { x: 0, y: 0, w, h }, 7, 4, DET_NORM);
      expect(ran).toBe(true);
      expect(differences(js, wasm)).toBe(0);
    }
  });

  it('grows its memory for a large frame and stays exact after it', () => {
    const small = noise(64, 48, 5);
    const large = noise(3840, 2160, 6);
    const a = both(small, { x: 0, y: 0, w: 64, h: 48 }, 32, 32, DET_NORM);
    const b = both(large, { x: 0, y: 0, w: 3840, h: 2160 }, 1440, 832, DET_NORM);
    const c = both(small, { x: 3.5, y: 2.5, w: 40, h: 30 }, 96, 48, REC_NORM, 112);
    expect([a.ran, b.ran, c.ran]).toEqual([true, true, true]);
    expect([differences(a.js, a.wasm), differences(b.js, b.wasm), differences(c.js, c.wasm)]).toEqual([
      0, 0, 0,
    ]);
  });

  it('leaves a 1-pixel-wide image to the JavaScript resampler, which regionToChw then uses', () => {
    const img = noise(1, 6, 2);
    const out = new Float32Array(3 * 4 * 4);
    expect(resampleChwWasm(img, { x: 0, y: 0, w: 1, h: 6 }, 4, 4, DET_NORM, 4, out)).toBe(false);
    const js = regionToChwJs(img, { x: 0, y: 0, w: 1, h: 6 }, 4, 4, DET_NORM);
    expect(differences(regionToChw(img, { x: 0, y: 0, w: 1, h: 6 }, 4, 4, DET_NORM), js)).toBe(0);
  });
});
