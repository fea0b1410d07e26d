/**
 * Loads the worker-thread recognizer the way the `alpr` entry point does (no-egress first), reads
 * the reference frame once and prints the plates as JSON. Run with HOME pointing at an empty folder.
 */
import '../../src/core/no-egress.ts';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { createWorkerRecognizer, decodeImageFile } from '../../src/recognize/index.ts';

const root = resolve(import.meta.dirname, '../..');
const rec = await createWorkerRecognizer(recognizeSection.parse({}), pino({ level: 'silent' }));
const plates = await rec.readFrame(
  await decodeImageFile(resolve(root, 'fixtures/demo/frames/frame-001.jpg')),
);
await rec.close();
process.stdout.write(`${JSON.stringify(plates.map((p) => p.text))}\n`);
