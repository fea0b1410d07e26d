// Run an ONNX model in onnxruntime-node on a raw float32 input; write the first output raw.
// usage: [REPEAT=n] node scripts/training/ort_run.mjs model.onnx in.f32 N,C,H,W out.f32
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, inPath, shapeArg, outPath] = process.argv.slice(2);
const shape = shapeArg.split(',').map(Number);
const buf = readFileSync(inPath);
const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
// REPEAT=n: run n times and report the median time (the first run warms up and is not counted)
const repeat = Number(process.env.REPEAT ?? 1);
let out = await session.run(feeds);
const times = [];
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  out = await session.run(feeds);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const ms = times[Math.floor(times.length / 2)];
const t = out[session.outputNames[0]];
writeFileSync(outPath, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
console.log(JSON.stringify({ dims: t.dims, ms }));
