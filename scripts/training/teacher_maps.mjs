// Labels synthetic frames with the teacher: PP-OCRv4's detector (the fused graph the runtime uses)
// on each 960x544 frame, its probability map averaged over 4x4 cells, as uint8 (p * 255).
// usage: node scripts/training/teacher_maps.mjs frames.npy maps.u8
import { openSync, readSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [framesPath, outPath] = process.argv.slice(2);
const fd = openSync(framesPath, 'r');
const head = Buffer.alloc(256);
readSync(fd, head, 0, 256, 0);
const hlen = head.readUInt16LE(8);
const header = head.subarray(10, 10 + hlen).toString('latin1');
const [n, H, W] = header.match(/\((\d+), (\d+), (\d+), 3\)/).slice(1).map(Number);
const offset = 10 + hlen;
const det = await ort.InferenceSession.create(new URL('../../models/ppocr/ch_PP-OCRv4_det_fused.onnx', import.meta.url).pathname, { intraOpNumThreads: 2 });
const mean = [0.485, 0.456, 0.406];
const std = [0.229, 0.224, 0.225];
const frame = Buffer.alloc(H * W * 3);
const input = new Float32Array(3 * H * W);
const h4 = H / 4;
const w4 = W / 4;
const out = Buffer.alloc(n * h4 * w4);
const t0 = Date.now();
for (let i = 0; i < n; i++) {
  readSync(fd, frame, 0, frame.length, offset + i * frame.length);
  // BGR planes, ImageNet mean/std applied to B, G, R (as src/recognize/tensor.ts DET_NORM)
  for (let c = 0; c < 3; c++) {
    const src = 2 - c;
    const plane = c * H * W;
    for (let p = 0; p < H * W; p++) input[plane + p] = (frame[p * 3 + src] / 255 - mean[c]) / std[c];
  }
  const res = await det.run({ [det.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, H, W]) });
  const map = res[det.outputNames[0]].data;
  for (let y = 0; y < h4; y++) {
    for (let x = 0; x < w4; x++) {
      let s = 0;
      for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += map[(y * 4 + dy) * W + x * 4 + dx];
      out[i * h4 * w4 + y * w4 + x] = Math.round((s / 16) * 255);
    }
  }
  if (i % 100 === 0) console.error(`${i}/${n} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
writeFileSync(outPath, out);
console.log(JSON.stringify({ n, h: h4, w: w4, out: outPath }));
