/**
 * The project's distilled detector (`recognize.detector: plate-det`, models/README.md): it must
 * find and let the reader read the demo frames' plates like PP-OCRv4's detector does, at a
 * fraction of its compute.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { createRecognizer, decodeImageFile, type Recognizer } from '../../src/recognize/index.ts';
import { PLATE_DET_MODEL } from '../../src/recognize/load.ts';
import { DEMO, DEMO_PLATES } from '../helpers/demo.ts';

describe('plate-det detector (recognize.detector: plate-det) on the demo frames', () => {
  let rec: Recognizer;
  beforeAll(async () => {
    rec = await createRecognizer(
      recognizeSection.parse({ detector: 'plate-det', secondReader: 'none', refine: 0 }),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await rec?.close();
  });

  it('takes the detector input and gives a map at a quarter of its resolution', async () => {
    const s = await ort.InferenceSession.create(PLATE_DET_MODEL, { intraOpNumThreads: 1 });
    try {
      const x = new ort.Tensor('float32', new Float32Array(3 * 64 * 96), [1, 3, 64, 96]);
      const out = (await s.run({ [s.inputNames[0]!]: x }))[s.outputNames[0]!]!;
      expect(out.dims).toEqual([1, 1, 16, 24]);
      for (const v of out.data as Float32Array) expect(v >= 0 && v <= 1).toBe(true);
    } finally {
      await s.release();
    }
  });

  it('reads the plate of every demo frame as its best text', async () => {
    const read: string[] = [];
    for (const p of DEMO_PLATES) {
      const plates = await rec.readFrame(await decodeImageFile(join(DEMO, 'frames', p.file)));
      read.push(plates[0]?.text ?? '');
    }
    expect(read).toEqual(DEMO_PLATES.map((p) => p.plate));
  });
});
