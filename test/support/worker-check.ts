/**
 * Runs the worker-thread recognizer outside vitest's module runner (as the daemon runs it) and
 * prints what it saw as one JSON line: readings, main-loop ticks during inference, concurrency,
 * behaviour after close, and the start failure on a missing model.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import {
  createRecognizer,
  createWorkerPool,
  createWorkerRecognizer,
  decodeImageFile,
} from '../../src/recognize/index.ts';

const root = resolve(import.meta.dirname, '../..');
const log = pino({ level: 'silent' });
const cfg = recognizeSection.parse({});
const img = await decodeImageFile(resolve(root, 'fixtures/demo/frames/frame-006.jpg'));
const other = await decodeImageFile(resolve(root, 'fixtures/demo/frames/frame-001.jpg'));

const inThread = await createRecognizer(cfg, log);
const expected = await inThread.readFrame(img);
await inThread.close();

const rec = await createWorkerRecognizer(cfg, log);
let ticks = 0;
const iv = setInterval(() => ticks++, 5);
const t0 = performance.now();
const got = await rec.readFrame(img);
const ms = performance.now() - t0;
clearInterval(iv);
const [a, b] = await Promise.all([rec.readFrame(img), rec.readFrame(other)]);
// frames travel through the worker's reused pixel buffers: reads one after the other, and two at
// once, each answer its own frame, and the caller's pixels are never written
const before = Buffer.from(img.data);
const reused: string[][] = [];
for (const f of [img, other, img, other]) reused.push((await rec.readFrame(f)).map((p) => p.text));
const [ra, rb] = await Promise.all([rec.readFrame(other), rec.readFrame(img)]);
reused.push(
  ra.map((p) => p.text),
  rb.map((p) => p.text),
);
const untouched = Buffer.compare(before, img.data) === 0;
await rec.close();
const afterClose = await rec.readFrame(img).then(
  () => 'resolved',
  () => 'rejected',
);
// two workers: two frames at once, each answered with its own plates
const pool = await createWorkerPool(cfg, log, 2);
const [pa, pb] = await Promise.all([pool.readFrame(img), pool.readFrame(other)]);
const poolLoad = pool.load();
// a worker thread dies (as in a crash): its call fails, the pool starts a replacement, reads go on
const victim = (pool as unknown as { workers: { kill(): Promise<void> }[] }).workers[0]!;
await victim.kill();
const afterKill: string[] = [];
for (let i = 0; i < 40 && pool.aliveCount() < 2; i++) {
  afterKill.push(
    await pool.readFrame(img).then(
      (r) => r.map((p) => p.text).join(','),
      () => 'failed',
    ),
  );
  await new Promise((r) => setTimeout(r, 250));
}
const healed = pool.aliveCount();
const [ha, hb] = await Promise.all([pool.readFrame(img), pool.readFrame(other)]);
await pool.close();
const failure = await createWorkerRecognizer(
  recognizeSection.parse({ detModel: '/nonexistent/det.onnx' }),
  log,
).then(
  () => null,
  (e: { code?: string }) => e.code ?? 'no code',
);
process.stdout.write(
  `${JSON.stringify({
    expected: expected.map((p) => ({ text: p.text, box: p.box })),
    got: got.map((p) => ({ text: p.text, box: p.box })),
    ms,
    ticks,
    pair: [a.map((p) => p.text), b.map((p) => p.text)],
    reused,
    untouched,
    afterClose,
    poolPair: [pa.map((p) => p.text), pb.map((p) => p.text)],
    poolLoad,
    afterKill,
    healed,
    healedPair: [ha.map((p) => p.text), hb.map((p) => p.text)],
    failure,
  })}\n`,
);
