/**
 * Plates, not text (models/plate-cls/): the classifier that weighs each text region's rank by how
 * plate-like its window is. On the demo frames with a fleet number, a chrome badge and a camera
 * overlay painted beside the car, the plate must stay the frame's best read (it does not without
 * the classifier), and the classifier must score the plate's window above every painted text's.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { createRecognizer, type Recognizer } from '../../src/recognize/index.ts';
import { PLATE_CLS_MODEL } from '../../src/recognize/load.ts';
import { PLATE_CLS_H, PLATE_CLS_W, PlateClassifier, plateWeight } from '../../src/recognize/plate-cls.ts';
import { DEMO, DEMO_PLATES } from '../helpers/demo.ts';

/** Texts painted on the frame: [text, x, y, font px, fill, background or null]. */
const PAINTED: [string, number, number, number, string, string | null][] = [
  ['UNIT 4521', 40, 60, 40, '#1d4fa0', null],
  ['2014 05 08', 900, 30, 22, '#ffffff', null],
  ['SV 2500', 60, 600, 44, '#d9d9d9', null],
];

async function paintedFrame(file: string): Promise<{ img: RgbImage; boxes: Box[] }> {
  const overlays = PAINTED.map(([t, x, y, s, fill, bg]) => {
    const w = Math.round(t.length * s * 0.68);
    const h = Math.round(s * 1.5);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${bg ? `<rect width="100%" height="100%" fill="${bg}"/>` : ''}<text x="${s * 0.2}" y="${s * 1.1}" font-family="DejaVu Sans" font-weight="bold" font-size="${s}" fill="${fill}" stroke="#000" stroke-width="${bg ? 0 : 1}">${t}</text></svg>`;
    return { input: Buffer.from(svg), left: x, top: y, box: { x, y, w, h } };
  });
  const { data, info } = await sharp(join(DEMO, 'frames', file))
    .composite(overlays.map(({ input, left, top }) => ({ input, left, top })))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { img: { width: info.width, height: info.height, data }, boxes: overlays.map((o) => o.box) };
}

describe('plate classifier (recognize.plateClassifier)', () => {
  let rec: Recognizer;
  let cls: PlateClassifier;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    rec = await createRecognizer(recognizeSection.parse({ profile: 'fast' }), pino({ level: 'silent' }));
    session = await ort.InferenceSession.create(PLATE_CLS_MODEL, { intraOpNumThreads: 1 });
    cls = new PlateClassifier(session);
  });
  afterAll(async () => {
    await rec?.close();
    await session?.release();
  });

  it('takes N windows of 3 × 48 × 128 and gives N probabilities', async () => {
    const n = 3;
    const x = new ort.Tensor('float32', new Float32Array(n * 3 * PLATE_CLS_H * PLATE_CLS_W), [
      n,
      3,
      PLATE_CLS_H,
      PLATE_CLS_W,
    ]);
    const out = (await session.run({ [session.inputNames[0]!]: x }))[session.outputNames[0]!]!;
    expect(out.dims).toEqual([n]);
    for (const v of out.data as Float32Array) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('a region weighs at least the floor and at most 1', () => {
    expect(plateWeight(0)).toBeGreaterThan(0);
    expect(plateWeight(1)).toBe(1);
    expect(plateWeight(0.5)).toBeGreaterThan(plateWeight(0.2));
  });

  it('scores each demo plate above the sign, the phone number and the overlay painted beside it', async () => {
    const margins: number[] = [];
    for (const p of DEMO_PLATES.slice(0, 6)) {
      const { img, boxes } = await paintedFrame(p.file);
      const plate = (await rec.readFrame(img)).find((r) => r.text === p.plate);
      expect(plate, `${p.file}: ${p.plate} read`).toBeDefined();
      const [pPlate, ...pText] = await cls.score(img, [plate!.box, ...boxes]);
      margins.push(pPlate! - Math.max(...pText));
    }
    expect(
      margins.every((m) => m > 0),
      `plate minus best painted text: ${margins.map((m) => m.toFixed(2))}`,
    ).toBe(true);
  });

  it('keeps the plate as the best read of a frame full of other text', async () => {
    const without = await createRecognizer(
      recognizeSection.parse({ profile: 'fast', plateClassifier: false }),
      pino({ level: 'silent' }),
    );
    try {
      const best: string[] = [];
      const bestWithout: string[] = [];
      for (const p of DEMO_PLATES.slice(0, 6)) {
        const { img } = await paintedFrame(p.file);
        best.push((await rec.readFrame(img))[0]?.text ?? '');
        bestWithout.push((await without.readFrame(img))[0]?.text ?? '');
      }
      const truth = DEMO_PLATES.slice(0, 6).map((p) => p.plate);
      expect(best).toEqual(truth);
      // the painted texts do fool the ranking without the classifier (a badge read first)
      expect(bestWithout).not.toEqual(truth);
    } finally {
      await without.close();
    }
  });
});
