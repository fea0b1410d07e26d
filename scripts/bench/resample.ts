/**
 * The frame-to-tensor resampling behind every model run (regionToChw): the WebAssembly SIMD kernel
 * against the JavaScript loop it replaced, on the screen's detector input, the thorough look's,
 * and a plate crop as the reader gets it. The two give the same tensor to the bit (checked here
 * too); the figures are ms per call, median of 7 rounds, one thread.
 */
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { wasmResampler } from '../../src/recognize/resample.ts';
import {
  DET_NORM,
  detInputSize,
  type Norm,
  REC_NORM,
  regionToChw,
  regionToChwJs,
} from '../../src/recognize/tensor.ts';

type Resampler = typeof regionToChw;

function frame(width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >> 11)) & 255;
  return { width, height, data };
}

/** Median ms per call over 7 rounds of `calls` calls. */
function time(
  f: Resampler,
  img: RgbImage,
  src: Box,
  w: number,
  h: number,
  norm: Norm,
  tw: number,
  calls: number,
) {
  const out = new Float32Array(3 * h * tw);
  for (let i = 0; i < calls; i++) f(img, src, w, h, norm, tw, out);
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) f(img, src, w, h, norm, tw, out);
    rounds.push((performance.now() - t) / calls);
  }
  return { ms: rounds.sort((a, b) => a - b)[3]!, out };
}

export async function benchResample(): Promise<Record<string, number | string>> {
  const fig: Record<string, number | string> = {
    'kernel in use': wasmResampler() ? 'WebAssembly SIMD' : 'JavaScript',
  };
  const hd = frame(1280, 720);
  const whole = { x: 0, y: 0, w: 1280, h: 720 };
  const detector = (side: number) => ({ src: whole, ...detInputSize(1280, 720, side), norm: DET_NORM });
  const cases: { name: string; src: Box; w: number; h: number; norm: Norm; tw?: number; calls: number }[] = [
    { name: 'screen detector input, 1280x720 -> 768x448', ...detector(768), calls: 40 },
    { name: 'thorough detector input, 1280x720 -> 1440x832', ...detector(1440), calls: 10 },
    {
      name: 'plate crop, 97x42 px -> 112x48 (tensor 128)',
      src: { x: 301.3, y: 200.7, w: 97.2, h: 41.5 },
      w: 112,
      h: 48,
      norm: REC_NORM,
      tw: 128,
      calls: 2000,
    },
  ];
  for (const { name, src, w, h, norm, tw = w, calls } of cases) {
    const js = time(regionToChwJs, hd, src, w, h, norm, tw, calls);
    const now = time(regionToChw, hd, src, w, h, norm, tw, calls);
    let same = true;
    for (let i = 0; i < js.out.length && same; i++) same = Object.is(js.out[i], now.out[i]);
    fig[`${name}: JavaScript / in use ms`] = `${js.ms.toFixed(3)} / ${now.ms.toFixed(3)}`;
    fig[`${name}: speed-up`] = Number((js.ms / now.ms).toFixed(2));
    fig[`${name}: same tensor`] = same ? 'yes' : 'NO';
  }
  return fig;
}
