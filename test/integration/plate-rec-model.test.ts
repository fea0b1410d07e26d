/**
 * The project's own plate recognizer ONNX (models/plate-rec/plate-rec.onnx, built by
 * scripts/training/): its input/output contract and that it reads clean rendered plates.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MODEL = fileURLToPath(new URL('../../models/plate-rec/plate-rec.onnx', import.meta.url));
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const H = 48;
const W = 160;
const T = 20;
const K = 37;

function plateSvg(text: string, w: number, h: number): string {
  const fs = h * 0.5;
  const sx = Math.min(1, (w * 0.85) / (text.length * 0.75 * fs));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <rect x="2" y="2" width="${w - 4}" height="${h - 4}" rx="8" fill="#f4f4ee" stroke="#1a1a1a" stroke-width="4"/>
  <text x="${w / 2}" y="${h * 0.2}" font-family="DejaVu Serif" font-size="${h * 0.13}" text-anchor="middle"
    fill="#233">STATE</text>
  <text x="0" y="0" transform="translate(${w / 2} ${h * 0.72}) scale(${sx} 1)" font-family="DejaVu Sans"
    font-weight="bold" font-size="${fs}" text-anchor="middle" fill="#112">${text}</text></svg>`;
}

/** Height 48, aspect kept, RGB, (x/255 - 0.5)/0.5, right-padded with 0 to the tensor's width `tw`. */
async function toTensor(text: string, out: Float32Array, tw = W): Promise<void> {
  const w = Math.min(tw, Math.ceil((H * 240) / 120));
  const { data } = await sharp(Buffer.from(plateSvg(text, 240, 120)))
    .resize(w, H, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++)
        out[c * H * tw + y * tw + x] = (data[(y * w + x) * 3 + c]! / 255 - 0.5) / 0.5;
    }
  }
}

function greedy(probs: Float32Array, offset: number, steps = T): string {
  let text = '';
  let prev = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[offset + t * K + k]! > probs[offset + t * K + best]!) best = k;
    if (best !== 0 && best !== prev) text += ALPHABET[best - 1];
    prev = best;
  }
  return text;
}

describe('plate-rec ONNX (project-trained recognizer)', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1 });
  });
  afterAll(async () => {
    await session?.release();
  });

  it('maps [N,3,48,160] to per-step probabilities [N,20,37] and reads rendered plates', async () => {
    const texts = ['7ABC123', 'KXR4820', '5TRM29', '2WPK817'];
    const input = new Float32Array(texts.length * 3 * H * W);
    for (let i = 0; i < texts.length; i++) await toTensor(texts[i]!, input.subarray(i * 3 * H * W));
    const out = await session.run({ x: new ort.Tensor('float32', input, [texts.length, 3, H, W]) });
    const probs = out.probs!;
    expect(probs.dims).toEqual([texts.length, T, K]);
    const data = probs.data as Float32Array;
    let sum = 0;
    for (let k = 0; k < K; k++) sum += data[k]!;
    expect(sum).toBeCloseTo(1, 4);
    const reads = texts.map((_, i) => greedy(data, i * T * K));
    const correct = reads.filter((r, i) => r === texts[i]).length;
    expect(correct, `read ${reads.join(',')}`).toBeGreaterThanOrEqual(3);
  });

  it('takes any width that is a multiple of 8: a 2:1 plate at its own 96 px gives 12 steps, read alike', async () => {
    const texts = ['7ABC123', 'KXR4820', '5TRM29', '2WPK817'];
    const tw = 96;
    const input = new Float32Array(texts.length * 3 * H * tw);
    for (let i = 0; i < texts.length; i++) await toTensor(texts[i]!, input.subarray(i * 3 * H * tw), tw);
    const out = await session.run({ x: new ort.Tensor('float32', input, [texts.length, 3, H, tw]) });
    expect(out.probs!.dims).toEqual([texts.length, tw / 8, K]);
    const data = out.probs!.data as Float32Array;
    const reads = texts.map((_, i) => greedy(data, i * (tw / 8) * K, tw / 8));
    const correct = reads.filter((r, i) => r === texts[i]).length;
    expect(correct, `read ${reads.join(',')}`).toBeGreaterThanOrEqual(3);
  });
});

describe('plate-rec int8 ONNX (the screen reader)', () => {
  const INT8 = fileURLToPath(new URL('../../models/plate-rec/plate-rec-int8.onnx', import.meta.url));
  let float: ort.InferenceSession;
  let int8: ort.InferenceSession;
  beforeAll(async () => {
    float = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1 });
    int8 = await ort.InferenceSession.create(INT8, { intraOpNumThreads: 1 });
  });
  afterAll(async () => {
    await float?.release();
    await int8?.release();
  });

  it('is the float reader in int8: same contract, the same reads of rendered plates, close distributions', async () => {
    const texts = ['7ABC123', 'KXR4820', '5TRM29', '2WPK817', '8DLP047', 'ZRT519'];
    const tw = 104;
    const input = new Float32Array(texts.length * 3 * H * tw);
    for (let i = 0; i < texts.length; i++) await toTensor(texts[i]!, input.subarray(i * 3 * H * tw), tw);
    const feed = { x: new ort.Tensor('float32', input, [texts.length, 3, H, tw]) };
    const [f, q] = [(await float.run(feed)).probs!, (await int8.run(feed)).probs!];
    expect(q.dims).toEqual(f.dims);
    const steps = tw / 8;
    const read = (t: ort.Tensor) => texts.map((_, i) => greedy(t.data as Float32Array, i * steps * K, steps));
    expect(read(q)).toEqual(read(f));
    // the int8 model's per-step distributions stay near the float one's (mean total variation)
    const a = f.data as Float32Array;
    const b = q.data as Float32Array;
    let tv = 0;
    for (let i = 0; i < a.length; i++) tv += Math.abs(a[i]! - b[i]!) / 2;
    expect(tv / (texts.length * steps)).toBeLessThan(0.05);
  });

  it('holds int8 weights: its file is under half the float one', () => {
    expect(statSync(INT8).size).toBeLessThan(statSync(MODEL).size / 2);
  });
});
