/**
 * Memory of the recognizer: RSS of a fresh process holding one, by profile and by worker count,
 * after it has read the demo frames (and the first plates-dev frames when present) three times.
 * Each case runs in its own process so that one case's freed memory does not hide another's.
 * First, each model's onnxruntime session alone (ort-session-child.ts): file size, RSS to load it
 * (the first session of a process also loads onnxruntime itself, ~25 MB), and RSS added by
 * running it on the input shapes the recognizer feeds it.
 *
 *   npx tsx scripts/bench/memory.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { RgbImage } from '../../src/domain/types.ts';
import {
  createRecognizer,
  createWorkerPool,
  decodeImageFile,
  type Recognizer,
} from '../../src/recognize/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED = resolve(ROOT, '../shared/data/plates-dev');
const mb = (n: number) => Math.round(n / 2 ** 20);

interface Case {
  /** In-thread recognizer (as eval and bench run it), or a pool of worker threads (the daemon). */
  workers: number;
  profile: 'fast' | 'accurate' | 'thorough';
  escalation?: 'inline' | 'idle';
}

async function frames(): Promise<RgbImage[]> {
  const demo = join(ROOT, 'fixtures/demo/frames');
  const paths = readdirSync(demo)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => join(demo, f));
  const manifest = join(SHARED, 'endtoend-us.jsonl');
  if (existsSync(manifest)) {
    for (const l of readFileSync(manifest, 'utf8').trim().split('\n').slice(0, 12)) {
      paths.push(join(SHARED, (JSON.parse(l) as { image: string }).image));
    }
  }
  return Promise.all(paths.map(decodeImageFile));
}

/** Child: builds the case's recognizer, reads the frames, prints RSS figures and a digest of the reads. */
async function child(c: Case): Promise<void> {
  const imgs = await frames();
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  const log = pino({ level: 'silent' });
  const section = recognizeSection.parse({
    profile: c.profile,
    escalation: c.escalation,
    workers: Math.max(1, c.workers),
  });
  const rec: Recognizer =
    c.workers > 0 ? await createWorkerPool(section, log, c.workers) : await createRecognizer(section, log);
  const loaded = process.memoryUsage().rss;
  const texts: string[] = [];
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 0; i < imgs.length; i++) {
      const img = imgs[i]!;
      if (c.escalation === 'idle' && rec.screenFrame && rec.thoroughFrame) {
        // as the daemon's stage drives it: two cameras' screens and a thorough look at once
        const [a, b, t] = await Promise.all([
          rec.screenFrame(img),
          rec.screenFrame(imgs[(i + 1) % imgs.length]!),
          rec.thoroughFrame(img),
        ]);
        if (pass === 0) texts.push(a.plates[0]?.text ?? '', b.plates[0]?.text ?? '', t[0]?.text ?? '');
      } else {
        const plates = await rec.readFrame(img);
        if (pass === 0) texts.push(plates[0]?.text ?? '');
      }
    }
  }
  const steady = process.memoryUsage().rss;
  await rec.close();
  process.stdout.write(
    `${JSON.stringify({ base: mb(base), loaded: mb(loaded), steady: mb(steady), reads: texts.join(' ') })}\n`,
  );
}

const CASES: Case[] = [
  { workers: 0, profile: 'fast' },
  { workers: 0, profile: 'accurate' },
  { workers: 0, profile: 'thorough' },
  { workers: 1, profile: 'accurate', escalation: 'idle' },
  { workers: 2, profile: 'accurate', escalation: 'idle' },
  { workers: 3, profile: 'accurate', escalation: 'idle' },
];

/** Each model and the input shapes it sees (a 720p frame at the detector's sides, crops, windows). */
const SESSIONS: [string, number[][]][] = [
  [
    'models/ppocr/ch_PP-OCRv4_det_fused.onnx',
    [
      [1, 3, 544, 960],
      [1, 3, 288, 480],
      [1, 3, 160, 320],
    ],
  ],
  [
    'models/ppocr/ch_PP-OCRv4_rec_plate.onnx',
    [
      [1, 3, 48, 320],
      [1, 3, 48, 160],
      [3, 3, 48, 200],
    ],
  ],
  [
    'models/plate-det/plate-det.onnx',
    [
      [1, 3, 448, 768],
      [1, 3, 160, 320],
    ],
  ],
  [
    'models/plate-rec/plate-rec.onnx',
    [
      [1, 3, 48, 160],
      [6, 3, 48, 160],
    ],
  ],
  [
    'models/plate-rec/plate-rec-int8.onnx',
    [
      [1, 3, 48, 128],
      [1, 3, 48, 160],
    ],
  ],
  [
    'models/plate-cls/plate-cls.onnx',
    [
      [1, 3, 48, 128],
      [12, 3, 48, 128],
    ],
  ],
];

function sessionCosts(out: Record<string, number | string>): void {
  const childPath = join(import.meta.dirname, 'ort-session-child.ts');
  for (const [model, shapes] of SESSIONS) {
    const res = execFileSync(
      process.execPath,
      ['--import', 'tsx', childPath, join(ROOT, model), JSON.stringify(shapes), '{}'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const r = JSON.parse(res.trim()) as { load: number; run: number };
    out[`session ${model}: file MB / RSS MB to load / to run`] =
      `${(statSync(join(ROOT, model)).size / 2 ** 20).toFixed(1)} / ${Math.round(r.load)} / ${Math.round(r.run)}`;
  }
}

export async function benchMemory(cases = CASES): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  sessionCosts(out);
  for (const c of cases) {
    const res = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', import.meta.filename, 'child', JSON.stringify(c)],
      { encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const r = JSON.parse(res.trim().split('\n').at(-1)!) as {
      base: number;
      loaded: number;
      steady: number;
      reads: string;
    };
    const what = c.workers > 0 ? `${c.workers} worker(s), ${c.escalation}` : 'in-thread';
    out[`${c.profile}, ${what}: RSS MB base / loaded / steady`] = `${r.base} / ${r.loaded} / ${r.steady}`;
    if (process.env.ALPR_BENCH_VERBOSE) out[`${c.profile}, ${what}: reads`] = r.reads;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'child') await child(JSON.parse(process.argv[3]!) as Case);
  else
    for (const [k, v] of Object.entries(await benchMemory())) process.stdout.write(`${k.padEnd(52)} ${v}\n`);
}
