/**
 * The reading cascade of a frame, with scripted sessions in place of the models (pure logic: the
 * real models are exercised by the recognize-* integration tests): a sure read costs one crop per
 * text region; only unsure reads get the other crop variants and the second reader.
 */
import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { recognizeSection, resolveRecognize } from '../../src/config/sections/recognize.ts';
import { PLATE_ALPHABET } from '../../src/recognize/ctc.ts';
import { PpocrRecognizer } from '../../src/recognize/ppocr.ts';
import { plateRecReader } from '../../src/recognize/reader.ts';

type Feeds = Record<string, { dims: readonly number[] }>;

/** A detector whose map has one text line in the middle of the frame. */
function fakeDet(): ort.InferenceSession {
  return {
    inputNames: ['x'],
    outputNames: ['map'],
    async run(feeds: Feeds) {
      const [, , h, w] = feeds.x!.dims as [number, number, number, number];
      const map = new Float32Array(w * h);
      for (let y = Math.round(h * 0.45); y < Math.round(h * 0.55); y++) {
        for (let x = Math.round(w * 0.35); x < Math.round(w * 0.65); x++) map[y * w + x] = 0.95;
      }
      return { map: { data: map, dims: [1, 1, h, w] } };
    },
    async release() {},
  } as unknown as ort.InferenceSession;
}

/**
 * A reader that spells `text` with probability `p` per character (the rest on blank), counting the
 * crops it is given.
 */
function fakeRec(text: string, p: number): { session: ort.InferenceSession; crops: () => number } {
  let crops = 0;
  const C = PLATE_ALPHABET.length + 1;
  const session = {
    inputNames: ['x'],
    outputNames: ['probs'],
    async run(feeds: Feeds) {
      const n = feeds.x!.dims[0]!;
      crops += n;
      const T = 2 * text.length + 1;
      const out = new Float32Array(n * T * C);
      for (let b = 0; b < n; b++) {
        for (let t = 0; t < T; t++) {
          const row = (b * T + t) * C;
          if (t % 2 === 1) {
            out[row + 1 + PLATE_ALPHABET.indexOf(text[(t - 1) / 2]!)] = p;
            out[row] = 1 - p;
          } else out[row] = 1;
        }
      }
      return { probs: { data: out, dims: [n, T, C] } };
    },
    async release() {},
  } as unknown as ort.InferenceSession;
  return { session, crops: () => crops };
}

const frame = { width: 640, height: 360, data: Buffer.alloc(640 * 360 * 3, 100) };

function recognizer(firstP: number, secondText = '7ABC123') {
  const first = fakeRec('7ABC123', firstP);
  const second = fakeRec(secondText, 0.99);
  const cfg = resolveRecognize(recognizeSection.parse({ cropVariants: 3, refine: 0 }));
  const r = new PpocrRecognizer(cfg, fakeDet(), first.session, plateRecReader(), {
    rec: second.session,
    reader: plateRecReader(),
  });
  return { r, first, second };
}

describe('reading cascade', () => {
  it('a sure read costs one crop and no second opinion', async () => {
    const { r, first, second } = recognizer(0.999);
    const plates = await r.readFrame(frame);
    expect(plates[0]?.text).toBe('7ABC123');
    expect(plates[0]!.confidence).toBeGreaterThan(0.9);
    expect(first.crops()).toBe(1);
    expect(second.crops()).toBe(0);
  });

  it('an unsure read gets the other variants and the second reader, whose candidates are merged', async () => {
    const { r, first, second } = recognizer(0.9, '7ABC128');
    const plates = await r.readFrame(frame);
    expect(first.crops()).toBe(3);
    expect(second.crops()).toBe(3);
    const texts = plates[0]!.candidates.map((c) => c.text);
    expect(texts).toContain('7ABC123');
    expect(texts).toContain('7ABC128');
  });

  it('a whole-plate crop is read in every variant at once (no cascade)', async () => {
    const { r, first } = recognizer(0.999);
    const plate = await r.readCrop({ width: 200, height: 100, data: Buffer.alloc(200 * 100 * 3, 100) });
    expect(plate?.text).toBe('7ABC123');
    // three bands plus the detector's line
    expect(first.crops()).toBe(4);
  });
});
