/**
 * Activation ranges for int8 quantization (quantize_int8.py): runs a model instrumented to output
 * every tensor listed in its metadata (`quantize_int8.py instrument`) over images fed exactly as
 * the runtime feeds them, and writes each tensor's min and max as JSON.
 *   npx tsx scripts/training/calib_ranges.ts --reader plate-rec instr.onnx crops-dir ranges.json
 *   npx tsx scripts/training/calib_ranges.ts --det instr.onnx frames-dir ranges.json
 * Images: synthetic crops (synth_plates.py) or frames (synth_scenes.py), never evaluation data.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeImageFile } from '../../src/recognize/image.ts';
import { plateRecReader, ppocrReader } from '../../src/recognize/reader.ts';
import { DET_NORM, detInputSize, recInputSize, regionToChw } from '../../src/recognize/tensor.ts';

const args = process.argv.slice(2);
const mode = args.shift();
const reader = mode === '--reader' ? args.shift() : undefined;
const [modelPath, dir, outPath] = args;
if (!modelPath || !dir || !outPath || (mode !== '--det' && mode !== '--reader')) {
  throw new Error('usage: calib_ranges.ts (--reader plate-rec|ppocr | --det) instr.onnx images-dir ranges.json');
}
const spec = reader === 'ppocr' ? ppocrReader(['']) : plateRecReader();
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2 });
const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
const ranges: Record<string, [number, number]> = {};
for (const f of files) {
  const img = await decodeImageFile(join(dir, f));
  const box = { x: 0, y: 0, w: img.width, h: img.height };
  let input: Float32Array;
  let dims: number[];
  if (mode === '--det') {
    const { w, h } = detInputSize(img.width, img.height, 960);
    input = regionToChw(img, box, w, h, DET_NORM);
    dims = [1, 3, h, w];
  } else {
    const { w, tensorW } = recInputSize(img.width, img.height, spec.height, spec.maxW, spec.minTensorW, spec.padW);
    input = regionToChw(img, box, w, spec.height, spec.norm, tensorW);
    dims = [1, 3, spec.height, tensorW];
  }
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
  for (const name of session.outputNames) {
    const data = out[name]!.data as Float32Array;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const r = ranges[name];
    ranges[name] = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
  }
}
writeFileSync(outPath, JSON.stringify(ranges, null, 1));
console.error(`calib_ranges: ${files.length} images, ${Object.keys(ranges).length} tensors -> ${outPath}`);
