/**
 * Recognition speed of the recognize profiles (accurate, fast, thorough): ms per 720p frame
 * (detector + reader) and per plate crop (reader alone), with 1 and 2 onnxruntime threads, and
 * the process RSS. Frames: the project's demo frames, plus the first real frames of ../shared/data/plates-dev
 * when that folder is present.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { configSchema } from '../../src/config/schema.ts';
import type { RgbImage } from '../../src/domain/types.ts';
import { CascadeRecognizer, createRecognizer, decodeImageFile } from '../../src/recognize/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED = resolve(ROOT, '../shared/data/plates-dev');

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

async function frames(): Promise<{ name: string; img: RgbImage }[]> {
  const out: { name: string; img: RgbImage }[] = [];
  const demo = join(ROOT, 'fixtures/demo/frames');
  for (const f of readdirSync(demo).filter((f) => f.endsWith('.jpg'))) {
    out.push({ name: `demo/${f}`, img: await decodeImageFile(join(demo, f)) });
  }
  const manifest = join(SHARED, 'endtoend-us.jsonl');
  if (existsSync(manifest)) {
    const lines = readFileSync(manifest, 'utf8').trim().split('\n').slice(0, 24);
    for (const l of lines) {
      const { image } = JSON.parse(l) as { image: string };
      out.push({ name: image, img: await decodeImageFile(join(SHARED, image)) });
    }
  }
  return out;
}

async function crops(): Promise<RgbImage[]> {
  const manifest = join(SHARED, 'crops-us.jsonl');
  if (!existsSync(manifest)) return [];
  const lines = readFileSync(manifest, 'utf8').trim().split('\n').slice(0, 40);
  return Promise.all(
    lines.map((l) => decodeImageFile(join(SHARED, (JSON.parse(l) as { image: string }).image))),
  );
}

export async function benchRecognize(): Promise<Record<string, number | string>> {
  const imgs = await frames();
  const plateCrops = await crops();
  const out: Record<string, number | string> = {
    frames: `${imgs.length} (${imgs.filter((i) => i.name.startsWith('demo/')).length} demo, rest plates-dev)`,
  };
  if (!plateCrops.length) out.note = '../shared/data/plates-dev absent: demo frames only, no crop timing';
  const log = pino({ level: 'silent' });
  for (const profile of ['accurate', 'fast', 'thorough'] as const) {
    for (const threads of [1, 2]) {
      const cfg = configSchema.shape.recognize.parse({ profile, threads });
      const rec = await createRecognizer(cfg, log);
      const ms: number[] = [];
      for (const { img } of imgs) {
        const t0 = performance.now();
        await rec.readFrame(img);
        ms.push(performance.now() - t0);
      }
      const k = `${profile}, ${threads} thr`;
      if (rec instanceof CascadeRecognizer) {
        out[`frames sent on to the full pipeline, ${k}`] =
          `${rec.stats.escalated} of ${rec.stats.images} (warm-up included)`;
        // The screen alone: what a live frame costs in the car (escalation: idle sends the unsure
        // vehicles' best frames to the thorough look in the time the cameras leave spare).
        const sms: number[] = [];
        for (const { img } of imgs) {
          const t0 = performance.now();
          await rec.screenFrame(img);
          sms.push(performance.now() - t0);
        }
        out[`screen ms median (the car's live cost per frame), ${k}`] = quantile(sms, 0.5);
      }
      out[`frame ms median, ${k}`] = quantile(ms, 0.5);
      out[`frame ms p90, ${k}`] = quantile(ms, 0.9);
      out[`frame ms median vs OpenALPR 224 ms (ratio), ${k}`] = quantile(ms, 0.5) / 224;
      if (plateCrops.length) {
        const cms: number[] = [];
        for (const c of plateCrops) {
          const t0 = performance.now();
          await rec.readCrop(c);
          cms.push(performance.now() - t0);
        }
        out[`plate crop ms median, ${k}`] = quantile(cms, 0.5);
      }
      await rec.close();
    }
  }
  out['RSS MB'] = Math.round(process.memoryUsage().rss / 2 ** 20);
  return out;
}
