/**
 * The reading cascade of a frame, with scripted sessions in place of the models (pure logic: the
 * real models are exercised by the recognize-* integration tests): a sure read costs one crop per
 * text region; only unsure reads get the other crop variants and the second reader.
 */
import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { recognizeSection, resolveRecognize } from '../../src/config/sections/recognize.ts';
import { PLATE_ALPHABET } from '../../src/recognize/ctc.ts';
import type { PlateReading } from '../../src/domain/types.ts';
import { CascadeRecognizer } from '../../src/recognize/cascade.ts';
import { PpocrRecognizer, type Recognizer } from '../../src/recognize/ppocr.ts';
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

describe('escalation (recognize.escalateBelow)', () => {
  const reading = (
    text: string,
    confidence: number,
    box = { x: 300, y: 150, w: 80, h: 30 },
  ): PlateReading => ({
    box,
    text,
    confidence,
    candidates: [{ text, confidence }],
    charConfidences: [...text].map(() => confidence),
    detScore: 0.9,
  });
  /** A recognizer that always answers the same, counting calls. */
  const scripted = (frame: PlateReading[], crop: PlateReading | null) => {
    const calls = { frame: 0, crop: 0 };
    const r: Recognizer = {
      modelVersion: 'scripted',
      async readFrame() {
        calls.frame++;
        return frame;
      },
      async readCrop() {
        calls.crop++;
        return crop;
      },
      async close() {},
    };
    return { r, calls };
  };
  const cascade = (quick: PlateReading[], full: PlateReading[]) => {
    const first = scripted(quick, quick[0] ?? null);
    const second = scripted(full, full[0] ?? null);
    return { c: new CascadeRecognizer(first.r, second.r, 0.5, async () => {}), first, second };
  };

  it('keeps a confident, plate-like first read: the full pipeline never runs', async () => {
    const { c, second } = cascade([reading('7ABC123', 0.8)], [reading('7ABC128', 0.9)]);
    expect((await c.readFrame(frame))[0]?.text).toBe('7ABC123');
    expect((await c.readCrop(frame))?.text).toBe('7ABC123');
    expect(second.calls).toEqual({ frame: 0, crop: 0 });
    expect(c.stats).toEqual({ images: 2, escalated: 0 });
  });

  it.each([
    ['an unsure read', [reading('7ABC123', 0.4)]],
    ['no read at all', []],
    ['a confident year (sticker, timestamp)', [reading('2014', 0.97)]],
    ['a confident word', [reading('PARKING', 0.95)]],
    ['a confident five-character read (possibly cut short)', [reading('7ABC1', 0.95)]],
    ['a confident eight-character read (possibly run past the edge)', [reading('47ABC123', 0.95)]],
    [
      'a confident read touching the border (overlay)',
      [reading('AB12CD', 0.95, { x: 0, y: 0, w: 120, h: 27 })],
    ],
  ])('sends %s to the full pipeline and answers with its reads', async (_name, quick) => {
    const { c, second } = cascade(quick, [reading('7ABC128', 0.9)]);
    expect((await c.readFrame(frame))[0]?.text).toBe('7ABC128');
    expect(second.calls.frame).toBe(1);
    expect(c.stats.escalated).toBe(1);
  });

  it('keeps a state the screen named on the plate where the full pipeline names none or a less sure one', async () => {
    const named = (text: string, p: number, code: string | null, conf = 0, box?: PlateReading['box']) => ({
      ...reading(text, p, box),
      state: code ? { code, confidence: conf } : null,
    });
    // crop: the screen read the legend, the full pipeline's detector missed it
    let { c } = cascade([named('7ABC123', 0.4, 'CA', 0.86)], [named('7ABC128', 0.9, null)]);
    expect(await c.readCrop(frame)).toMatchObject({
      text: '7ABC128',
      state: { code: 'CA', confidence: 0.86 },
    });
    // the full pipeline's own state wins when at least as sure
    ({ c } = cascade([named('7ABC123', 0.4, 'CA', 0.86)], [named('7ABC128', 0.9, 'NV', 0.9)]));
    expect((await c.readCrop(frame))?.state?.code).toBe('NV');
    ({ c } = cascade([named('7ABC123', 0.4, 'CA', 0.95)], [named('7ABC128', 0.9, 'NV', 0.5)]));
    expect((await c.readCrop(frame))?.state?.code).toBe('CA');
    // frame: only from the screen's read of the same plate (boxes overlapping), not of another
    const elsewhere = { x: 10, y: 300, w: 100, h: 30 };
    ({ c } = cascade(
      [named('7ABC123', 0.4, 'CA', 0.86), named('TEXAS', 0.4, 'TX', 0.9, elsewhere)],
      [named('7ABC128', 0.9, null), named('5XYZ999', 0.8, null, 0, { x: 300, y: 40, w: 100, h: 30 })],
    ));
    const plates = await c.readFrame(frame);
    expect(plates.map((p) => [p.text, p.state?.code ?? null])).toEqual([
      ['7ABC128', 'CA'],
      ['5XYZ999', null],
      ['TEXAS', 'TX'], // the screen's read of a region the full pipeline did not find (below)
    ]);
  });

  it("keeps, after the full pipeline's reads, the screen's reads of regions it did not find", async () => {
    const fence = { x: 700, y: 190, w: 60, h: 25 };
    const stamp = { x: 1200, y: 700, w: 60, h: 14 };
    const { c } = cascade(
      [reading('CEMENT0', 0.3, fence), reading('7ABC123', 0.45)],
      [reading('7ABC128', 0.9, { x: 305, y: 152, w: 78, h: 28 }), reading('20140504', 0.03, stamp)],
    );
    const plates = await c.readFrame(frame);
    // the screen's 7ABC123 is the full pipeline's 7ABC128 (boxes overlapping): superseded
    expect(plates.map((p) => [p.text, p.box])).toEqual([
      ['7ABC128', { x: 305, y: 152, w: 78, h: 28 }],
      ['20140504', stamp],
      ['CEMENT0', fence],
    ]);
  });

  it('keeps the first reads when the full pipeline finds nothing', async () => {
    const { c } = cascade([reading('7ABC123', 0.3)], []);
    expect((await c.readFrame(frame))[0]?.text).toBe('7ABC123');
    expect((await c.readCrop(frame))?.text).toBe('7ABC123');
  });
});
