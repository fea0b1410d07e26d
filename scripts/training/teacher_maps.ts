/**
 * Labels synthetic frames with the teacher: the runtime's PP-OCRv4 detector (DEFAULT_MODELS.det),
 * fed exactly as the runtime feeds it (regionToChw with DET_NORM), its probability map averaged over
 * 4x4 cells, as uint8 (p * 255).
 *   npx tsx scripts/training/teacher_maps.ts frames.npy maps.u8
 */
import { openSync, readSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODELS } from '../../src/recognize/index.ts';
import { DET_NORM, regionToChw } from '../../src/recognize/tensor.ts';

const [framesPath, outPath] = process.argv.slice(2);
if (!framesPath || !outPath) throw new Error('usage: teacher_maps.ts frames.npy maps.u8');
const fd = openSync(framesPath, 'r');
const head = Buffer.alloc(256);
readSync(fd, head, 0, 256, 0);
const hlen = head.readUInt16LE(8);
const shape = /\((\d+), (\d+), (\d+), 3\)/.exec(head.subarray(10, 10 + hlen).toString('latin1'));
if (!shape) throw new Error(`${framesPath}: not an N x H x W x 3 uint8 .npy`);
const [n, H, W] = shape.slice(1).map(Number) as [number, number, number];
const det = await ort.InferenceSession.create(DEFAULT_MODELS.det, { intraOpNumThreads: 2 });
const frame = { width: W, height: H, data: Buffer.alloc(H * W * 3) };
const h4 = H / 4;
const w4 = W / 4;
const out = Buffer.alloc(n * h4 * w4);
const t0 = Date.now();
for (let i = 0; i < n; i++) {
  readSync(fd, frame.data, 0, frame.data.length, 10 + hlen + i * frame.data.length);
  const input = regionToChw(frame, { x: 0, y: 0, w: W, h: H }, W, H, DET_NORM);
  const res = await det.run({ [det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, H, W]) });
  const map = res[det.outputNames[0]!]!.data as Float32Array;
  for (let y = 0; y < h4; y++) {
    for (let x = 0; x < w4; x++) {
      let s = 0;
      for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += map[(y * 4 + dy) * W + x * 4 + dx]!;
      out[i * h4 * w4 + y * w4 + x] = Math.round((s / 16) * 255);
    }
  }
  if (i % 100 === 0) console.error(`${i}/${n} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
writeFileSync(outPath, out);
console.log(JSON.stringify({ n, h: h4, w: w4, out: outPath }));
