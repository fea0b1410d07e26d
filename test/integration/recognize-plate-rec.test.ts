import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { createRecognizer, decodeImageFile, type Recognizer } from '../../src/recognize/index.ts';
import { DEMO, DEMO_PLATES } from '../helpers/demo.ts';

describe('plate-rec reader (recognize.reader: plate-rec) on the demo frames', () => {
  let rec: Recognizer;
  beforeAll(async () => {
    rec = await createRecognizer(recognizeSection.parse({ reader: 'plate-rec' }), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await rec?.close();
  });

  it('names its models: plate-rec, with PP-OCRv4 as the second reader of unsure reads', async () => {
    expect(rec.modelVersion).toBe('plate-rec-3+ppocr-v4-plate-1');
    const alone = await createRecognizer(
      recognizeSection.parse({ reader: 'plate-rec', secondReader: 'none' }),
      pino({ level: 'silent' }),
    );
    try {
      expect(alone.modelVersion).toBe('plate-rec-3');
    } finally {
      await alone.close();
    }
  });

  it('reads the plate of every demo frame as its best text', async () => {
    expect(DEMO_PLATES.length).toBeGreaterThanOrEqual(10);
    const read: string[] = [];
    for (const p of DEMO_PLATES) {
      const plates = await rec.readFrame(await decodeImageFile(join(DEMO, 'frames', p.file)));
      read.push(plates[0]?.text ?? '');
      const top = plates[0];
      if (top) {
        expect(top.candidates[0]!.text).toBe(top.text);
        expect(top.charConfidences).toHaveLength(top.text.length);
        for (const c of top.charConfidences) expect(c).toBeGreaterThan(0);
        for (const c of top.charConfidences) expect(c).toBeLessThanOrEqual(1);
      }
    }
    expect(read).toEqual(DEMO_PLATES.map((p) => p.plate));
  });

  it('reads a plate crop cut from a demo frame', async () => {
    const p = DEMO_PLATES[0]!;
    const frame = await decodeImageFile(join(DEMO, 'frames', p.file));
    const box = (await rec.readFrame(frame))[0]!.box;
    // the detector's text box, widened into a plate-like crop
    const x = Math.max(0, Math.round(box.x - box.w * 0.1));
    const y = Math.max(0, Math.round(box.y - box.h * 0.5));
    const w = Math.min(frame.width - x, Math.round(box.w * 1.2));
    const h = Math.min(frame.height - y, Math.round(box.h * 2));
    const data = Buffer.alloc(w * h * 3);
    for (let r = 0; r < h; r++)
      frame.data.copy(data, r * w * 3, ((y + r) * frame.width + x) * 3, ((y + r) * frame.width + x + w) * 3);
    const crop = await rec.readCrop({ width: w, height: h, data });
    expect(crop?.text).toBe(p.plate);
  });
});
