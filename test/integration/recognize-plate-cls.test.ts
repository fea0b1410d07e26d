import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { createRecognizer, type Recognizer } from '../../src/recognize/index.ts';
import { PLATE_CLS_MODEL } from '../../src/recognize/load.ts';
import { PLATE_CLS_H, PLATE_CLS_W, PlateClassifier, plateWeight } from '../../src/recognize/plate-cls.ts';
import { DEMO_PLATES } from '../helpers/demo.ts';
import { centredIn as inside, paintOnDemoFrame } from '../helpers/painted-frame.ts';

/** Texts painted on the frame: [text, x, y, font px, fill, background or null]. */
type Painted = [string, number, number, number, string, string | null][];
const PAINTED: Painted = [
  ['UNIT 4521', 40, 60, 40, '#1d4fa0', null],
  ['2014 05 08', 900, 30, 22, '#ffffff', null],
  ['SV 2500', 60, 600, 44, '#d9d9d9', null],
];
/** Words and a number that are no serial's shape: a chrome badge, a shop sign, a phone number. */
const WORDS: Painted = [
  ['CAMRY', 60, 600, 44, '#d9d9d9', null],
  ['PIZZA', 980, 80, 40, '#c01010', '#f4f4f4'],
  ['8675309', 40, 60, 40, '#1d4fa0', null],
];

async function paintedFrame(
  file: string,
  painted: Painted = PAINTED,
): Promise<{ img: RgbImage; boxes: Box[] }> {
  const overlays = painted.map(([t, x, y, s, fill, bg]) => {
    const w = Math.round(t.length * s * 0.68);
    const h = Math.round(s * 1.5);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${bg ? `<rect width="100%" height="100%" fill="${bg}"/>` : ''}<text x="${s * 0.2}" y="${s * 1.1}" font-family="DejaVu Sans" font-weight="bold" font-size="${s}" fill="${fill}" stroke="#000" stroke-width="${bg ? 0 : 1}">${t}</text></svg>`;
    return { svg, box: { x, y, w, h } };
  });
  return paintOnDemoFrame(file, overlays);
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

  it('reads words and numbers as plates only as far as the classifier takes them for plates', async () => {
    // the same reader and detector without the classifier: the reader's own confidences
    const without = await createRecognizer(
      recognizeSection.parse({ profile: 'fast', plateClassifier: false }),
      pino({ level: 'silent' }),
    );
    const minConfidence = recognizeSection.parse({}).minConfidence;
    try {
      const seen: string[] = [];
      for (const p of DEMO_PLATES.slice(0, 6)) {
        const { img, boxes } = await paintedFrame(p.file, WORDS);
        const withCls = await rec.readFrame(img);
        const raw = await without.readFrame(img);
        WORDS.forEach(([word, , , , , panel], k) => {
          const a = withCls.find((r) => inside(r, boxes[k]!));
          const b = raw.find((r) => inside(r, boxes[k]!));
          expect(a?.text, `${p.file}: ${word} read the same either way`).toBe(b?.text);
          if (!a || !b) return;
          seen.push(`${p.file} ${a.text} ${b.confidence.toFixed(2)} -> ${a.confidence.toFixed(2)}`);
          expect(a.confidence).toBeLessThan(b.confidence);
          expect(a.candidates[0]!.confidence).toBeCloseTo(a.confidence, 9);
          // the badge and the number on the car's paint are no plates: matched against the hot
          // lists only; the sign on its white panel looks more like one and only loses some
          if (!panel) {
            expect(b.confidence).toBeGreaterThanOrEqual(0.5);
            expect(a.confidence).toBeLessThan(minConfidence);
          }
        });
        // the plate (a serial's shape) keeps the reader's own confidence
        const plate = withCls.find((r) => r.text === p.plate);
        const rawPlate = raw.find((r) => r.text === p.plate);
        expect(plate?.confidence, p.file).toBe(rawPlate?.confidence);
      }
      // every painted text was read on most frames (the test compares something)
      expect(seen.length, seen.join('\n')).toBeGreaterThanOrEqual(12);
    } finally {
      await without.close();
    }
  });
});
