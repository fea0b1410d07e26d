/**
 * Lettering in lines is no registration (plates.ts inLinesOfLettering): a phone number on a
 * bordered white panel the size of a plate, which the plate classifier takes for a plate, is a
 * read at the reader's confidence alone; the same panel with a line of like-sized lettering above
 * it (a shop's sign) is matched against the hot lists only. The car's plate beside it keeps its
 * confidence either way.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { Box, PlateReading, RgbImage } from '../../src/domain/types.ts';
import { createRecognizer, type Recognizer } from '../../src/recognize/index.ts';
import { DEMO, DEMO_PLATES } from '../helpers/demo.ts';

const NUMBER = '8675309';
const FONT_PX = 40;
/** The panel's lines: [text, top]; the number's line always at the same place. */
const ALONE: [string, number][] = [[NUMBER, 140]];
const UNDER_A_WORD: [string, number][] = [
  ['STORAGE', 80],
  [NUMBER, 140],
];

async function signFrame(file: string, lines: [string, number][]): Promise<{ img: RgbImage; number: Box }> {
  const left = 960;
  const overlays = lines.map(([t, top]) => {
    const w = Math.round(t.length * FONT_PX * 0.68);
    const h = Math.round(FONT_PX * 1.5);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#ffffff" stroke="#202020" stroke-width="6"/><text x="${FONT_PX * 0.2}" y="${FONT_PX * 1.1}" font-family="DejaVu Sans" font-weight="bold" font-size="${FONT_PX}" fill="#101010">${t}</text></svg>`;
    return { input: Buffer.from(svg), left, top, box: { x: left, y: top, w, h } };
  });
  const { data, info } = await sharp(join(DEMO, 'frames', file))
    .composite(overlays.map(({ input, left: l, top }) => ({ input, left: l, top })))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { img: { width: info.width, height: info.height, data }, number: overlays.at(-1)!.box };
}

const inside = (r: PlateReading, b: Box) => {
  const cx = r.box.x + r.box.w / 2;
  const cy = r.box.y + r.box.h / 2;
  return cx >= b.x && cx <= b.x + b.w && cy >= b.y && cy <= b.y + b.h;
};

describe('lettering in lines (inLinesOfLettering)', () => {
  let rec: Recognizer;
  beforeAll(async () => {
    rec = await createRecognizer(recognizeSection.parse({ profile: 'fast' }), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await rec?.close();
  });

  it('reports a number on a plate-like panel, and not once a line of lettering sits on it', async () => {
    const minConfidence = recognizeSection.parse({}).minConfidence;
    for (const p of DEMO_PLATES.slice(0, 3)) {
      const alone = await signFrame(p.file, ALONE);
      const signed = await signFrame(p.file, UNDER_A_WORD);
      const readsAlone = await rec.readFrame(alone.img);
      const readsSigned = await rec.readFrame(signed.img);
      const a = readsAlone.find((r) => inside(r, alone.number));
      const b = readsSigned.find((r) => inside(r, signed.number));
      // the classifier takes the bordered panel for a plate: the number alone is a read
      expect(a?.text, p.file).toBe(NUMBER);
      expect(a!.confidence, p.file).toBeGreaterThanOrEqual(0.5);
      // under a line of lettering it is still read, the same text, below the read threshold
      expect(b?.text, p.file).toBe(NUMBER);
      expect(b!.confidence, p.file).toBeLessThan(minConfidence);
      expect(b!.candidates[0]!.confidence).toBeCloseTo(b!.confidence, 9);
      // the car's plate is read first and keeps its confidence
      expect(readsSigned[0]?.text, p.file).toBe(p.plate);
      expect(readsSigned[0]!.confidence).toBe(readsAlone.find((r) => r.text === p.plate)?.confidence);
    }
  });
});
