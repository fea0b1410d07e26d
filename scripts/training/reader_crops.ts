/**
 * The plate reader's samples as the car cuts them: on frames rendered by synth_scenes.py, the text
 * regions the runtime's detectors find (the screen's plate-det, PP-OCRv4's detector of the thorough
 * look), each cut as the reader's crop variants are (src/recognize/ppocr.ts: the unclipped box
 * trimmed top and bottom) and resampled to the reader's input by the runtime's own resampler.
 * A crop is a sample when it holds its plate's whole serial across (92% of its width at least),
 * most of its height (70%: the detector's box may cut the glyphs' feet, as on small real plates),
 * and stays on the plate; its label is the plate's (synth_plates.py: O as 0, stacked type letters
 * left out). Crops of hidden plates, cut serials, serials under a separator mark and text off the
 * plate are left out.
 *
 *   npx tsx scripts/training/reader_crops.ts --npy frames.npy --boxes boxes.jsonl --out crops
 *
 * Writes crops.u8 (N × 48 × 160 × 3, uint8 RGB, right of each crop's width zero) and crops.jsonl
 * (width, label, detector, frame, crop box). train_rec.py --crops mixes them into its batches.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { clipBox, padBox } from '../../src/recognize/boxes.ts';
import { FRAME_VARIANTS } from '../../src/recognize/ppocr.ts';
import { plateRecReader } from '../../src/recognize/reader.ts';
import { regionToChw } from '../../src/recognize/tensor.ts';
import { forEachScene, runtimeDetectors, type Truth, xyxy } from './scene-frames.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const out = arg('--out');
const npy = arg('--npy');
const boxes = arg('--boxes');
if (!out || !npy || !boxes) throw new Error('usage: reader_crops.ts --npy F --boxes B --out PREFIX [--limit N]');

const detectors = await runtimeDetectors();
const reader = plateRecReader();

/** The label a crop teaches, or null when it is no fair sample of its plate. */
function cropLabel(crop: Box, truths: readonly Truth[]): string | null {
  const [x0, y0, x1, y1] = xyxy(crop);
  for (const t of truths) {
    if (t.hidden || !t.serial || !t.label) continue;
    const [sx0, sy0, sx1, sy1] = t.serial;
    const [px0, py0, px1, py1] = t.plate;
    const across = Math.max(0, Math.min(x1, sx1) - Math.max(x0, sx0)) / (sx1 - sx0);
    const down = Math.max(0, Math.min(y1, sy1) - Math.max(y0, sy0)) / (sy1 - sy0);
    if (across < 0.5 || down < 0.5) continue;
    const margin = 0.1 * (px1 - px0);
    const cy = (y0 + y1) / 2;
    const onPlate = x0 >= px0 - margin && x1 <= px1 + margin && cy >= py0 && cy <= py1;
    return across >= 0.92 && down >= 0.7 && onPlate && !t.marked ? t.label : null;
  }
  return null;
}

const H = reader.height;
const W = reader.maxW;
const u8 = openSync(`${out}.u8`, 'w');
const meta: string[] = [];
const f = new Float32Array(3 * H * W);
const bytes = Buffer.alloc(H * W * 3);
let regions = 0;

async function frame(img: RgbImage, truths: Truth[], id: number): Promise<void> {
  for (const d of detectors) {
    for (const reg of await d.r.detectFrame(img)) {
      regions++;
      for (const [fx, fy] of FRAME_VARIANTS.slice(0, d.variants)) {
        const crop = clipBox(padBox(reg.box, fx, fy), img.width, img.height);
        const label = crop && cropLabel(crop, truths);
        if (!crop || !label) continue;
        const w = Math.max(1, Math.min(W, Math.ceil((H * crop.w) / crop.h)));
        regionToChw(img, crop, w, H, reader.norm, W, f);
        bytes.fill(0);
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < H; y++)
            for (let x = 0; x < w; x++) {
              const v = (f[c * H * W + y * W + x]! * 0.5 + 0.5) * 255;
              bytes[(y * W + x) * 3 + c] = Math.round(Math.min(255, Math.max(0, v)));
            }
        writeSync(u8, bytes);
        meta.push(JSON.stringify({ w, label, det: d.name, frame: id, box: crop }));
      }
    }
  }
}

const t0 = Date.now();
await forEachScene(npy, boxes, arg('--limit') ? Number(arg('--limit')) : undefined, async (img, truths, i, total) => {
  await frame(img, truths, i);
  if (i % 200 === 0) console.error(`${i}/${total} ${((Date.now() - t0) / 1000).toFixed(0)} s ${meta.length} crops`);
});
closeSync(u8);
writeFileSync(`${out}.jsonl`, `${meta.join('\n')}\n`);
console.log(JSON.stringify({ crops: meta.length, regions, s: (Date.now() - t0) / 1000 }));
