/**
 * regionToChw's bilinear resampling in WebAssembly SIMD (resample.wat): about twice the speed of
 * the JavaScript loop (`npm run bench -- resample`: 4.2 → 2.0 ms on the screen's detector input),
 * in the same double-precision arithmetic in the same order, so the tensors are the same to the bit.
 * The region's pixels are copied into the kernel's memory, the per-column and per-row sample
 * positions are computed here exactly as regionToChwJs computes them, and the planes come back in
 * tensor channel order. The kernel's memory grows to the largest input its thread resamples and
 * stays: ~7 MB in a screen worker (768×448), ~17 MB where the thorough look runs (1440×832).
 */
import type { Box, RgbImage } from '../domain/types.ts';
import { RESAMPLE_WASM } from './resample-wasm.ts';
import type { Norm } from './tensor.ts';

type ResampleFn = (
  src: number,
  xtab: number,
  ytab: number,
  outW: number,
  outH: number,
  dst: number,
  sr: number,
  sg: number,
  sb: number,
  fr: number,
  fg: number,
  fb: number,
) => void;

/** The little of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

interface Kernel {
  memory: WasmMemory;
  resample: ResampleFn;
}

const PAGE = 65536;
let kernel: Kernel | null | undefined;

/** The kernel of this thread, instantiated on first use; null where WebAssembly SIMD is missing. */
function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(RESAMPLE_WASM), {});
    kernel = { memory: inst.exports.memory as WasmMemory, resample: inst.exports.resample as ResampleFn };
  } catch {
    kernel = null;
  }
  return kernel;
}

/** True when this thread runs the WebAssembly resampler (false: regionToChw's JavaScript loop). */
export function wasmResampler(): boolean {
  return load() !== null;
}

/**
 * As regionToChw (tensor.ts): resamples `src` of `img` to outW×outH into `out`, a 1×3×outH×tensorW
 * tensor, normalised; columns right of outW are left as they are. False (nothing written) where
 * the kernel cannot run: no WebAssembly SIMD, an image narrower than 2 pixels, or a region too
 * large for its memory.
 */
export function resampleChwWasm(
  img: RgbImage,
  src: Box,
  outW: number,
  outH: number,
  norm: Norm,
  tensorW: number,
  out: Float32Array,
): boolean {
  const k = load();
  const { width, height, data } = img;
  if (!k || width < 2 || height < 1 || outW < 1 || outH < 1) return false;
  const sx = src.w / outW;
  const sy = src.h / outH;
  // Sample positions, as regionToChwJs computes them; they grow with the output index, so the
  // first and last give the source pixels the region spans.
  const px = (x: number) => Math.min(width - 1, Math.max(0, src.x + (x + 0.5) * sx - 0.5));
  const py = (y: number) => Math.min(height - 1, Math.max(0, src.y + (y + 0.5) * sy - 0.5));
  // a column's left pixel (the last column is read as the pair before it, weight 1: the same value)
  const left = (f: number) => Math.min(Math.floor(f), width - 2);
  const x0 = left(px(0));
  const subW = left(px(outW - 1)) + 2 - x0;
  const y0 = Math.floor(py(0));
  const y1 = Math.min(height - 1, Math.floor(py(outH - 1)) + 1);
  // memory: [xtab 8·outW][ytab 16·outH][planes 12·outW·outH][region's pixels + 8 bytes]
  const rowBytes = subW * 3;
  const xtab = 0;
  const ytab = align(xtab + 8 * outW);
  const dst = align(ytab + 16 * outH);
  const plane = outW * outH;
  const pix = align(dst + 12 * plane);
  const need = pix + (y1 - y0 + 1) * rowBytes + 8;
  const mem = k.memory;
  if (mem.buffer.byteLength < need) {
    try {
      mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE));
    } catch {
      return false; // past what the kernel's memory can hold: the JavaScript loop does it
    }
  }
  const buf = mem.buffer;
  const bytes = new Uint8Array(buf);
  // the region's rows (one copy when it spans the image's width)
  if (subW === width) bytes.set(data.subarray(y0 * width * 3, (y1 + 1) * width * 3), pix);
  else
    for (let y = y0; y <= y1; y++) {
      const from = (y * width + x0) * 3;
      bytes.set(data.subarray(from, from + rowBytes), pix + (y - y0) * rowBytes);
    }
  // the tables: the weight of the right pixel rounded to float32, as regionToChwJs keeps it
  const xi = new Int32Array(buf, xtab, 2 * outW);
  const xf = new Float32Array(buf, xtab, 2 * outW);
  for (let x = 0; x < outW; x++) {
    const f = px(x);
    const i = left(f);
    xi[2 * x] = (i - x0) * 3;
    xf[2 * x + 1] = f - i;
  }
  const yi = new Int32Array(buf, ytab, 4 * outH);
  const yf = new Float64Array(buf, ytab, 2 * outH);
  for (let y = 0; y < outH; y++) {
    const f = py(y);
    const i = Math.floor(f);
    yi[4 * y] = (i - y0) * rowBytes;
    yi[4 * y + 1] = (Math.min(height - 1, i + 1) - i) * rowBytes;
    yf[2 * y + 1] = f - i;
  }
  // scale and offset per RGB lane: tensor channel c reads RGB channel rgbOf[c]
  const rgbOf = norm.bgr ? [2, 1, 0] : [0, 1, 2];
  const scale = [0, 0, 0];
  const offset = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    scale[rgbOf[c]!] = 1 / (255 * norm.std[c]!);
    offset[rgbOf[c]!] = norm.mean[c]! / norm.std[c]!;
  }
  k.resample(
    pix,
    xtab,
    ytab,
    outW,
    outH,
    dst,
    scale[0]!,
    scale[1]!,
    scale[2]!,
    offset[0]!,
    offset[1]!,
    offset[2]!,
  );
  const planes = new Float32Array(buf, dst, 3 * plane);
  const tensorPlane = outH * tensorW;
  for (let c = 0; c < 3; c++) {
    const from = rgbOf[c]! * plane;
    if (tensorW === outW) out.set(planes.subarray(from, from + plane), c * tensorPlane);
    else
      for (let y = 0; y < outH; y++)
        out.set(planes.subarray(from + y * outW, from + (y + 1) * outW), c * tensorPlane + y * tensorW);
  }
  return true;
}

function align(n: number): number {
  return (n + 15) & ~15;
}
