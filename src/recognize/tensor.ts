/** Pure image-to-tensor helpers: bilinear resampling of an RGB region into a normalised CHW tensor. */
import type { Box, RgbImage } from '../domain/types.ts';
import { resampleChwWasm } from './resample.ts';

/** Per-channel normalisation in tensor channel order: value = (pixel/255 - mean[c]) / std[c]. */
export interface Norm {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Tensor channel order is B,G,R (PaddleOCR models were trained on OpenCV's BGR). */
  bgr: boolean;
}

/** PaddleOCR detector: ImageNet mean/std on BGR, as PaddleOCR's NormalizeImage applies them. */
export const DET_NORM: Norm = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], bgr: true };
/** PaddleOCR recognizer: (x/255 - 0.5) / 0.5 on BGR. */
export const REC_NORM: Norm = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], bgr: true };

/**
 * Resamples `src` (a region of `img`, in pixels, may be fractional) to outW×outH and writes it,
 * normalised, into a 1×3×H×W tensor of width `tensorW` (≥ outW). Columns right of outW keep
 * whatever `out` held (callers pass zeros: PaddleOCR pads recognizer inputs with 0 after normalising).
 * WebAssembly SIMD does it (resample.ts) where the thread has it; regionToChwJs otherwise.
 */
export function regionToChw(
  img: RgbImage,
  src: Box,
  outW: number,
  outH: number,
  norm: Norm,
  tensorW = outW,
  out: Float32Array = new Float32Array(3 * outH * tensorW),
): Float32Array {
  if (resampleChwWasm(img, src, outW, outH, norm, tensorW, out)) return out;
  return regionToChwJs(img, src, outW, outH, norm, tensorW, out);
}

/** regionToChw in JavaScript, in double precision: the reference the WebAssembly kernel follows. */
export function regionToChwJs(
  img: RgbImage,
  src: Box,
  outW: number,
  outH: number,
  norm: Norm,
  tensorW = outW,
  out: Float32Array = new Float32Array(3 * outH * tensorW),
): Float32Array {
  const { width, height, data } = img;
  const plane = outH * tensorW;
  const sx = src.w / outW;
  const sy = src.h / outH;
  const scale = [0, 1, 2].map((c) => 1 / (255 * norm.std[c]!));
  const offset = [0, 1, 2].map((c) => norm.mean[c]! / norm.std[c]!);
  // tensor channel c reads RGB channel rgbOf[c]
  const rgbOf = norm.bgr ? [2, 1, 0] : [0, 1, 2];
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const fx = Math.min(width - 1, Math.max(0, src.x + (x + 0.5) * sx - 0.5));
    const ix = Math.floor(fx);
    x0s[x] = ix * 3;
    x1s[x] = Math.min(width - 1, ix + 1) * 3;
    fxs[x] = fx - ix;
  }
  // Channels unrolled, constants in locals: the same arithmetic, about twice as fast (the
  // detector's input is 1.5 M values per frame).
  const [k0, k1, k2] = rgbOf as [number, number, number];
  const [s0, s1, s2] = scale as [number, number, number];
  const [f0, f1, f2] = offset as [number, number, number];
  const p2 = 2 * plane;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(height - 1, Math.max(0, src.y + (y + 0.5) * sy - 0.5));
    const iy = Math.floor(fy);
    const wy = fy - iy;
    const row0 = iy * width * 3;
    const row1 = Math.min(height - 1, iy + 1) * width * 3;
    const orow = y * tensorW;
    for (let x = 0; x < outW; x++) {
      const wx = fxs[x]!;
      const a = row0 + x0s[x]!;
      const b = row0 + x1s[x]!;
      const c = row1 + x0s[x]!;
      const d = row1 + x1s[x]!;
      const o = orow + x;
      let top = data[a + k0]! + (data[b + k0]! - data[a + k0]!) * wx;
      let bot = data[c + k0]! + (data[d + k0]! - data[c + k0]!) * wx;
      out[o] = (top + (bot - top) * wy) * s0 - f0;
      top = data[a + k1]! + (data[b + k1]! - data[a + k1]!) * wx;
      bot = data[c + k1]! + (data[d + k1]! - data[c + k1]!) * wx;
      out[plane + o] = (top + (bot - top) * wy) * s1 - f1;
      top = data[a + k2]! + (data[b + k2]! - data[a + k2]!) * wx;
      bot = data[c + k2]! + (data[d + k2]! - data[c + k2]!) * wx;
      out[p2 + o] = (top + (bot - top) * wy) * s2 - f2;
    }
  }
  return out;
}

/** Detector input size: long side = maxSide, both sides rounded to multiples of 32 (≥ 32). */
export function detInputSize(width: number, height: number, maxSide: number): { w: number; h: number } {
  const r = maxSide / Math.max(width, height);
  const round32 = (v: number) => Math.max(32, Math.round(v / 32) * 32);
  return { w: round32(width * r), h: round32(height * r) };
}

/**
 * Recognizer input: height 48, width from the aspect, at most maxW; the tensor is at least
 * minTensorW wide, and at least padW columns wider than the image where maxW allows (zeros right of
 * it, a multiple of 8).
 */
export function recInputSize(
  boxW: number,
  boxH: number,
  height = 48,
  maxW = 320,
  minTensorW = 320,
  padW = 0,
): { w: number; tensorW: number } {
  const w = Math.max(8, Math.min(maxW, Math.ceil((height * boxW) / Math.max(1, boxH))));
  const padded = Math.max(Math.ceil(w / 8) * 8, Math.min(maxW, Math.ceil((w + padW) / 8) * 8));
  return { w, tensorW: Math.max(minTensorW, padded) };
}

/** Copies a whole-pixel region of an image (clipBox gives one). */
export function cutImage(img: RgbImage, b: Box): RgbImage {
  const data = Buffer.alloc(b.w * b.h * 3);
  for (let y = 0; y < b.h; y++) {
    const src = ((b.y + y) * img.width + b.x) * 3;
    data.set(img.data.subarray(src, src + b.w * 3), y * b.w * 3);
  }
  return { width: b.w, height: b.h, data };
}
