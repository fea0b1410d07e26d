import { pino } from 'pino';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import type { RgbImage } from '../../src/domain/types.ts';
import { createRecognizer, type Recognizer } from '../../src/recognize/index.ts';
import { iou } from '../../src/recognize/boxes.ts';
import { CascadeRecognizer } from '../../src/recognize/cascade.ts';
import { plateSvg } from '../helpers/plate-svg.ts';

const PLATE = { x: 520, y: 400, w: 240, h: 120 };

async function toRgb(s: Sharp): Promise<RgbImage> {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** A 1280x720 gray scene with the given images laid on it (none: an empty scene). */
async function renderFrame(layers: { input: Buffer; left: number; top: number }[]): Promise<RgbImage> {
  return toRgb(
    sharp({
      create: { width: 1280, height: 720, channels: 3, background: { r: 96, g: 100, b: 104 } },
    }).composite(layers),
  );
}

/** The plate `text`, rendered, placed at PLATE. */
async function plateLayer(text: string): Promise<{ input: Buffer; left: number; top: number }> {
  const input = await sharp(Buffer.from(plateSvg(text, PLATE.w, PLATE.h)))
    .png()
    .toBuffer();
  return { input, left: PLATE.x, top: PLATE.y };
}

/** A 1280x720 gray scene with the plate placed at PLATE. */
async function renderScene(text: string): Promise<RgbImage> {
  return renderFrame([await plateLayer(text)]);
}

describe('PP-OCR recognizer on onnxruntime (rendered plates)', () => {
  let rec: Recognizer;
  beforeAll(async () => {
    rec = await createRecognizer(recognizeSection.parse({ threads: 1 }), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await rec?.close();
  });

  it('finds and reads a plate on a 1280x720 frame', async () => {
    const plates = await rec.readFrame(await renderScene('7ABC123'));
    expect(plates.length).toBeGreaterThan(0);
    const p = plates[0]!;
    expect(p.text).toBe('7ABC123');
    expect(p.candidates[0]!.text).toBe('7ABC123');
    expect(p.candidates.length).toBeGreaterThan(1);
    expect(p.charConfidences).toHaveLength(7);
    for (const c of p.charConfidences) expect(c).toBeGreaterThan(0.3);
    for (const c of p.charConfidences) expect(c).toBeLessThanOrEqual(1);
    expect(p.confidence).toBeGreaterThan(0.5);
    expect(iou(p.box, PLATE)).toBeGreaterThan(0.3);
  });

  it('reads the same with a single crop variant', async () => {
    const one = await createRecognizer(
      recognizeSection.parse({ cropVariants: 1 }),
      pino({ level: 'silent' }),
    );
    try {
      const plates = await one.readFrame(await renderScene('4XKD816'));
      expect(plates[0]?.text).toBe('4XKD816');
    } finally {
      await one.close();
    }
  });

  it.each([
    ['fast', {}],
    ['thorough', {}],
    ['accurate', { escalateBelow: 1 }], // every frame sent on: the full pipeline's answer
  ] as const)('reads it with the %s profile %o', async (profile, extra) => {
    const r = await createRecognizer(
      recognizeSection.parse({ profile, ...extra }),
      pino({ level: 'silent' }),
    );
    try {
      const before = r instanceof CascadeRecognizer ? { ...r.stats } : null;
      const plates = await r.readFrame(await renderScene('8MWN275'));
      expect(plates[0]?.text).toBe('8MWN275');
      expect(iou(plates[0]!.box, PLATE)).toBeGreaterThan(0.3);
      expect(r instanceof CascadeRecognizer).toBe(profile === 'accurate');
      if (r instanceof CascadeRecognizer) {
        expect([r.stats.images - before!.images, r.stats.escalated - before!.escalated]).toEqual([1, 1]);
      }
    } finally {
      await r.close();
    }
  });

  it("never reads the video's date stamp as a plate; the same overlay with no valid date is read", async () => {
    // white digits on a black strip in the bottom right corner, as a camera burns its clock in
    const stamp = (text: string) =>
      sharp(
        Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="300" height="56">
  <rect width="300" height="56" fill="#000"/>
  <text x="150" y="44" font-family="DejaVu Sans Mono" font-weight="bold" font-size="40" text-anchor="middle"
    fill="#fff">${text}</text></svg>`),
      )
        .png()
        .toBuffer();
    const scene = async (text: string, withPlate: boolean) =>
      renderFrame([
        ...(withPlate ? [await plateLayer('7ABC123')] : []),
        { input: await stamp(text), left: 900, top: 620 },
      ]);
    const texts = async (text: string, withPlate = false) =>
      (await rec.readFrame(await scene(text, withPlate))).map((p) => p.text);
    // month 14 is no date: the overlay alone is read (digits only), so the reader sees it
    expect(await texts('20141428')).toContain('20141428');
    // a valid date in the same place is no plate, alone or beside one
    expect(await texts('20140428')).toEqual([]);
    expect(await texts('20140428', true)).toEqual(['7ABC123']);
  });

  it('finds nothing on an empty scene', async () => {
    expect(await rec.readFrame(await renderFrame([]))).toEqual([]);
  });

  it('reads a plate crop whole', async () => {
    const crop = await toRgb(sharp(Buffer.from(plateSvg('5KXT942', 320, 160))));
    const p = await rec.readCrop(crop);
    expect(p?.text).toBe('5KXT942');
    expect(p?.box).toEqual({ x: 0, y: 0, w: 320, h: 160 });
  });
});
