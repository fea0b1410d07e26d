import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { createRecognizer, type Recognizer } from '../../src/recognize/index.ts';
import { DEMO_PLATES } from '../helpers/demo.ts';
import { centredIn as inside, paintOnDemoFrame } from '../helpers/painted-frame.ts';

const FONT_PX = 40;
const LONE = '8675309';
const SIGNED = '5551234';
/** Panels: [text, left, top]. The lone number on the left, the shop's sign on the right. */
const PANELS: [string, number, number][] = [
  [LONE, 40, 140],
  ['STORAGE', 960, 80],
  [SIGNED, 960, 140],
];

async function frame(
  file: string,
  panels: [string, number, number][],
): Promise<{ img: RgbImage; boxes: Box[] }> {
  const overlays = panels.map(([t, left, top]) => {
    const w = Math.round(t.length * FONT_PX * 0.68);
    const h = Math.round(FONT_PX * 1.5);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#ffffff" stroke="#202020" stroke-width="6"/><text x="${FONT_PX * 0.2}" y="${FONT_PX * 1.1}" font-family="DejaVu Sans" font-weight="bold" font-size="${FONT_PX}" fill="#101010">${t}</text></svg>`;
    return { svg, box: { x: left, y: top, w, h } };
  });
  return paintOnDemoFrame(file, overlays);
}

describe('lettering in lines (inLinesOfLettering), the car profile', () => {
  let rec: Recognizer;
  beforeAll(async () => {
    rec = await createRecognizer(recognizeSection.parse({}), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await rec?.close();
  });

  it('reads a number in a sign behind a lone one, below the read threshold', async () => {
    const minConfidence = recognizeSection.parse({}).minConfidence;
    for (const p of DEMO_PLATES.slice(0, 6)) {
      const plain = await rec.readFrame((await frame(p.file, [])).img);
      const { img, boxes } = await frame(p.file, PANELS);
      const reads = await rec.readFrame(img);
      const lone = reads.findIndex((r) => inside(r, boxes[0]!));
      const signed = reads.findIndex((r) => inside(r, boxes[2]!));
      expect(reads[lone]?.text, `${p.file}: ${reads.map((r) => r.text)}`).toBe(LONE);
      expect(reads[signed]?.text, `${p.file}: ${reads.map((r) => r.text)}`).toBe(SIGNED);
      // the classifier takes both panels for plates; only the lone one stays a read
      expect(reads[lone]!.confidence, p.file).toBeGreaterThanOrEqual(0.5);
      expect(reads[signed]!.confidence, p.file).toBeLessThan(minConfidence);
      expect(reads[signed]!.candidates[0]!.confidence).toBeCloseTo(reads[signed]!.confidence, 9);
      expect(signed, `${p.file}: ${reads.map((r) => r.text)}`).toBeGreaterThan(lone);
      // the car's plate is read first, as surely as without the signs
      expect(reads[0]?.text, p.file).toBe(p.plate);
      expect(reads[0]!.confidence).toBeCloseTo(plain[0]!.confidence, 2);
    }
  });
});
