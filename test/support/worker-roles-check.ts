/**
 * An idle-escalating pool of two workers as the daemon starts it (outside vitest's module runner):
 * prints the workers' 'recognizer ready' lines (role, models loaded) as they log them, then one
 * JSON line: whether the pool's screens and thorough reads of the demo frames equal an in-thread
 * recognizer's, what the pool's workers answered, and the nice values and scheduling policies of
 * this process's threads
 * before, during and after the pool.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { PlateReading } from '../../src/domain/types.ts';
import { createRecognizer, createWorkerPool, decodeImageFile } from '../../src/recognize/index.ts';
import type { ScreenResult } from '../../src/recognize/ppocr.ts';

const frames = resolve(import.meta.dirname, '../../fixtures/demo/frames');
const cfg = recognizeSection.parse({ profile: 'accurate', escalation: 'idle', threads: 1 });
const files = ['frame-001.jpg', 'frame-006.jpg', 'frame-012.jpg'];
const imgs = await Promise.all(files.map((f) => decodeImageFile(join(frames, f))));

const inThread = await createRecognizer(cfg, pino({ level: 'silent' }));
type Pair = [ScreenResult, PlateReading[]];
const expected: Pair[] = [];
for (const img of imgs) expected.push([await inThread.screenFrame!(img), await inThread.thoroughFrame!(img)]);
await inThread.close();

/**
 * The nice value and scheduling policy of each of this process's threads, from the kernel (Linux:
 * both are per thread), as "nice/policy" (policy 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
function threadNices(): string[] {
  return readdirSync('/proc/self/task')
    .map((t) => {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ');
      return `${f[16]}/${f[38]}`;
    })
    .sort();
}

// the workers log at info to this process's stdout
const before = threadNices();
const pool = await createWorkerPool(cfg, pino({ level: 'info' }), 2);
const during = threadNices();
const got: Pair[] = [];
for (const img of imgs) {
  // two screens at once (two cameras) and a thorough look
  const [s, , t] = await Promise.all([pool.screenFrame(img), pool.screenFrame(img), pool.thoroughFrame(img)]);
  got.push([s, t]);
}
await pool.close();
await new Promise((r) => setTimeout(r, 200));
const after = threadNices();
process.stdout.write(
  `${JSON.stringify({
    same: JSON.stringify(got) === JSON.stringify(expected),
    texts: got.map(([s, t]) => [s.plates[0]?.text, t[0]?.text]),
    modelVersion: pool.modelVersion,
    nices: { before, during, after },
  })}\n`,
);
