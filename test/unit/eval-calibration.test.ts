import { describe, expect, it } from 'vitest';
import { paintOver } from '../../src/eval/run.ts';
import { calibrate, falsePlates, type ManifestLine, type Prediction } from '../../src/eval/score.ts';

const line = (image: string, text: string): ManifestLine => ({
  image,
  plates: [{ text, box: [0, 0, 10, 5] }],
});
const pred = (image: string, text: string, conf: number, extra: number[] = []): Prediction => ({
  image,
  candidates: [text],
  boxes: [[0, 0, 10, 5], ...extra.map((): [number, number, number, number] => [20, 0, 10, 5])],
  ms: 1,
  confidences: [conf, ...extra],
});

describe('calibrate', () => {
  // 200 images: confidences 0.995 down to 0.0; reads right except at 0.6 and 0.3 and below 0.1
  const lines = Array.from({ length: 200 }, (_, i) => line(`i${i}`, 'ABC123'));
  const conf = (i: number) => 1 - (i + 1) / 200;
  const right = (i: number) => !(i === 79 || i === 139 || conf(i) < 0.1);
  const preds = lines.map((l, i) => pred(l.image, right(i) ? 'ABC123' : 'XYZ999', conf(i)));

  it('finds the lowest threshold whose reads above it are 99% right', () => {
    const c = calibrate(lines, preds, 0.99);
    // 140 reads down to the second error: 138/140 = 98.6% < 99%; down to just above it: 139 reads, 1 wrong
    expect(c.threshold).toBeCloseTo(conf(138), 6);
    expect(c.coverage).toBeCloseTo(139 / 200, 6);
    expect(c.precision).toBeCloseTo(138 / 139, 6);
  });

  it('moves with the target and says when nothing reaches it', () => {
    expect(calibrate(lines, preds, 0.95).threshold!).toBeLessThan(conf(138));
    const wrong = lines.map((l, i) => pred(l.image, 'XYZ999', conf(i)));
    expect(calibrate(lines, wrong, 0.99)).toEqual({ threshold: null, coverage: 0, precision: 0 });
  });

  it('never cuts between reads of equal confidence', () => {
    const two = [line('a', 'A1'), line('b', 'B2')];
    const c = calibrate(two, [pred('a', 'A1', 0.9), pred('b', 'ZZ', 0.9)], 0.99);
    expect(c.threshold).toBeNull();
  });
});

describe('falsePlates', () => {
  it('counts plates per plate-free frame, and those above a threshold', () => {
    const preds = [pred('a', 'A1', 0.9, [0.3]), { image: 'b', candidates: [], boxes: [], ms: 1 }];
    expect(falsePlates(preds, 0.5)).toEqual({
      frames: 2,
      perFrame: 1,
      framesWithAny: 0.5,
      perFrameAbove: 0.5,
    });
    expect(falsePlates(preds).perFrameAbove).toBeUndefined();
    expect(falsePlates(preds).perFrameReads).toBeUndefined();
  });

  it('counts the reads the unit would report: plates at or above the read threshold', () => {
    const preds = [
      pred('a', 'A1', 0.9, [0.2, 0.19, 0.05]),
      pred('b', 'B1', 0.19),
      { image: 'c', candidates: [], boxes: [], ms: 1 },
    ];
    expect(falsePlates(preds, 0.5, 0.2)).toMatchObject({
      perFrame: 5 / 3,
      perFrameReads: 2 / 3,
      perFrameAbove: 1 / 3,
    });
    expect(falsePlates(preds, null, 0.3).perFrameReads).toBeCloseTo(1 / 3, 12);
  });

  it('counts the plates that could raise a confirmed hit: confidence times plate-likeness', () => {
    const preds: Prediction[] = [
      {
        image: 'a',
        candidates: ['2014'],
        boxes: [
          [0, 0, 1, 1],
          [0, 0, 1, 1],
        ],
        ms: 1,
        confidences: [0.96, 0.8],
        texts: ['2014', 'ABC123'],
      },
      {
        image: 'b',
        candidates: ['RAV4'],
        boxes: [[0, 0, 1, 1]],
        ms: 1,
        confidences: [0.9],
        texts: ['CAMRY'],
      },
    ];
    // the date (×0.05) and the word (×0.2) cannot; the plate-like text can
    expect(falsePlates(preds, 0.5)).toMatchObject({ perFrameAbove: 1.5, perFrameAlertable: 0.5 });
  });
});

describe('paintOver', () => {
  it('fills the grown plate box with the colour around it and leaves the rest', () => {
    const w = 40;
    const h = 20;
    const data = Buffer.alloc(w * h * 3, 50);
    // a "plate": white box with black strokes
    for (let y = 8; y < 12; y++)
      for (let x = 10; x < 30; x++) data.fill(x % 3 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const img = { width: w, height: h, data };
    paintOver(img, [10, 8, 20, 4]);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(data[(y * w + x) * 3]).toBe(50);
  });
});
