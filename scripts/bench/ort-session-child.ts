/**
 * One onnxruntime session in a fresh process: RSS before, after loading, and after running it on
 * inputs of the shapes the recognizer feeds it. Prints JSON. Used by memory.ts.
 *
 *   npx tsx scripts/bench/ort-session-child.ts MODEL '[[1,3,544,960],…]' '{session options}'
 */
import * as ort from 'onnxruntime-node';

const [path, shapesJson, optsJson] = process.argv.slice(2);
const shapes = JSON.parse(shapesJson ?? '[]') as number[][];
const opts = JSON.parse(optsJson ?? '{}') as ort.InferenceSession.SessionOptions;
const mb = () => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
const rss0 = mb();
// as src/recognize/load.ts opens them, with `opts` over that (to try other options)
const s = await ort.InferenceSession.create(path!, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableCpuMemArena: false,
  ...opts,
});
const rss1 = mb();
let sum = 0;
for (let k = 0; k < 3; k++) {
  for (const dims of shapes) {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', data, dims) });
    const o = out[s.outputNames[0]!]!.data as Float32Array;
    for (let i = 0; i < o.length; i += 97) sum += o[i]!;
  }
}
const rss2 = mb();
process.stdout.write(
  `${JSON.stringify({ rss0, load: rss1 - rss0, run: rss2 - rss1, total: rss2 - rss0, sum })}\n`,
);
