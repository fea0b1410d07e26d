/**
 * The plate classifier's samples: the text regions the runtime's detectors find on frames (the
 * screen's plate-det at its side, PP-OCRv4's detector with its coarse second pass), each cut as the
 * classifier's window (src/recognize/plate-cls.ts) and labelled by where the frame's plates are.
 *
 * Synthetic frames (training):  npx tsx scripts/training/region_windows.ts --npy frames.npy --boxes boxes.jsonl --out win
 *   a region is a plate when it covers half its plate's serial and its centre lies on the plate;
 *   text nowhere near a plate is not one; regions touching a plate otherwise (its legend, a plate
 *   another car hides) are left out.
 * Labelled real frames (evaluation only, never training):  --manifest M --root R --out win
 *   labels give the whole plate's box, not its serial's: a region is a plate when its centre lies
 *   in the plate's middle band (where a registration sits: 25-80% of its height, 5-95% of its
 *   width) and it spans at least 40% of the plate's width; not one when it touches no plate; the
 *   rest (legends, slogans, dealer frames, stickers) is left out.
 * Writes win.u8 (N × 3 × 48 × 128, uint8 RGB planes) and win.jsonl (label, detector, frame, box).
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { decodeImageFile } from '../../src/recognize/index.ts';
import { PLATE_CLS_H, PLATE_CLS_W, windowTensor } from '../../src/recognize/plate-cls.ts';
import { area, forEachScene, inter, runtimeDetectors, type Truth, xyxy } from './scene-frames.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const out = arg('--out');
if (!out) throw new Error('usage: region_windows.ts (--npy F --boxes B | --manifest M --root R) --out PREFIX');

const detectors = await runtimeDetectors();

/** 1 plate, 0 not a plate, -1 left out. */
function label(box: Box, truths: readonly Truth[]): number {
  const r = xyxy(box);
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  let touches = false;
  for (const t of truths) {
    const p = t.plate;
    if (area(inter(r, p)) <= 0) continue;
    touches = true;
    if (t.hidden) continue;
    const onPlate = cx >= p[0] && cx <= p[2] && cy >= p[1] && cy <= p[3];
    if (!t.serial) {
      const pw = p[2] - p[0];
      const ph = p[3] - p[1];
      const inBand =
        cx >= p[0] + 0.05 * pw && cx <= p[2] - 0.05 * pw && cy >= p[1] + 0.25 * ph && cy <= p[1] + 0.8 * ph;
      if (inBand && box.w >= 0.4 * pw) return 1;
      continue;
    }
    if (onPlate && area(inter(r, t.serial)) >= 0.5 * area(t.serial)) return 1;
  }
  return touches ? -1 : 0;
}

const u8 = openSync(`${out}.u8`, 'w');
const meta: string[] = [];
const size = 3 * PLATE_CLS_H * PLATE_CLS_W;
const f = new Float32Array(size);
const bytes = Buffer.alloc(size);
const counts = [0, 0, 0];

async function frame(img: RgbImage, truths: Truth[], id: string | number): Promise<void> {
  for (const d of detectors) {
    const regions = d.name === 'screen' ? await d.r.detect(img) : await d.r.detectFrame(img);
    for (const reg of regions) {
      const y = label(reg.box, truths);
      counts[y + 1]!++;
      if (y < 0 || !windowTensor(img, reg.box, f)) continue;
      for (let i = 0; i < size; i++) bytes[i] = Math.round(Math.min(255, Math.max(0, (f[i]! * 0.5 + 0.5) * 255)));
      writeSync(u8, bytes);
      meta.push(JSON.stringify({ y, det: d.name, frame: id, box: reg.box, score: reg.score }));
    }
  }
}

const t0 = Date.now();
const npy = arg('--npy');
if (npy) {
  const limit = arg('--limit') ? Number(arg('--limit')) : undefined;
  await forEachScene(npy, arg('--boxes')!, limit, async (img, truths, i, total) => {
    await frame(img, truths, i);
    if (i % 200 === 0) console.error(`${i}/${total} ${((Date.now() - t0) / 1000).toFixed(0)} s ${counts}`);
  });
} else {
  const manifest = arg('--manifest')!;
  const root = arg('--root') ?? resolve(manifest, '..');
  for (const line of readFileSync(manifest, 'utf8').trim().split('\n')) {
    const l = JSON.parse(line) as { image: string; plates: { box: [number, number, number, number] }[] };
    const img = await decodeImageFile(resolve(root, l.image));
    await frame(img, l.plates.map((p) => ({ plate: [p.box[0], p.box[1], p.box[0] + p.box[2], p.box[1] + p.box[3]] })), l.image);
  }
}
closeSync(u8);
writeFileSync(`${out}.jsonl`, `${meta.join('\n')}\n`);
console.log(JSON.stringify({ samples: meta.length, negatives: counts[1], positives: counts[2], leftOut: counts[0], s: (Date.now() - t0) / 1000 }));
