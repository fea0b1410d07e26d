import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/eval/manifest.ts';
import { runEval, toPrediction } from '../../src/eval/run.ts';
import {
  boxIou,
  formatSummary,
  type ManifestLine,
  type Prediction,
  quantile,
  scoreImage,
  summarize,
} from '../../src/eval/score.ts';
import type { PlateReading } from '../../src/domain/types.ts';

const line = (image: string, text: string, crop = false): ManifestLine => ({
  image,
  crop,
  plates: [{ text, box: [100, 100, 60, 30] }],
});
const pred = (image: string, candidates: string[], boxes: Prediction['boxes'] = [], ms = 10): Prediction => ({
  image,
  candidates,
  boxes,
  ms,
});

describe('scoreImage', () => {
  it.each([
    [
      'exact first',
      ['ABC123', 'X'],
      [[100, 100, 60, 30]],
      { top1: true, top10: true, top1Folded: true, detected: true },
    ],
    [
      'second',
      ['A8C123', 'ABC123'],
      [[120, 100, 60, 30]],
      { top1: false, top10: true, top1Folded: true, detected: true },
    ],
    [
      '11th',
      [...'0123456789'].map((d) => `X${d}`).concat('ABC123'),
      [],
      { top1: false, top10: false, top1Folded: false, detected: false },
    ],
    ['case', ['abc123'], [[0, 0, 10, 10]], { top1: true, top10: true, top1Folded: true, detected: false }],
    ['nothing', [], [], { top1: false, top10: false, top1Folded: false, detected: false }],
  ] as const)('%s', (_n, cands, boxes, want) => {
    expect(
      scoreImage(
        line('a', 'ABC123'),
        pred(
          'a',
          [...cands],
          boxes.map((b) => [...b] as [number, number, number, number]),
        ),
      ),
    ).toEqual(want);
  });

  it('a box must overlap with IoU > 0.3', () => {
    // shifted by 40 of 60 px: IoU = 20*30 / (2*1800 - 600) = 0.2
    expect(scoreImage(line('a', 'X1'), pred('a', ['X1'], [[140, 100, 60, 30]])).detected).toBe(false);
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
  });

  it('crops have no detection score', () => {
    expect(scoreImage(line('c', 'ABC123', true), pred('c', ['ABC123'])).detected).toBeNull();
  });
});

describe('summarize', () => {
  it('computes shares, counts missing predictions as wrong, and quantiles of ms', () => {
    const lines = [line('a', 'ABC123'), line('b', 'XYZ789'), line('c', 'Q1'), line('d', 'ZZ99')];
    const preds = [
      pred('a', ['ABC123'], [[100, 100, 60, 30]], 10),
      pred('b', ['XYZ78', 'XYZ789'], [[100, 100, 60, 30]], 20),
      pred('c', ['01'], [], 30),
    ];
    const s = summarize(lines, preds);
    expect(s).toEqual({
      images: 4,
      top1: 0.25,
      top10: 0.5,
      top1Folded: 0.5,
      detection: 0.5,
      medianMs: 20,
      p90Ms: 28,
      // these predictions carry no confidences: nothing to calibrate
      calibration: { threshold: null, coverage: 0, precision: 0 },
      // no line carries a state
      stateAccuracy: null,
      stateCoverage: null,
      statePrecision: null,
    });
  });

  it('scores the state over the lines that carry one', () => {
    const lines = ['a', 'b', 'c', 'd'].map((id, i) => ({
      ...line(id, 'ABC123', true),
      state: ['ca', 'tx', 'ny', 'wa'][i],
    }));
    const preds = [
      { ...pred('a', ['ABC123']), state: 'CA', state_confidence: 0.9 },
      { ...pred('b', ['ABC123']), state: 'OK', state_confidence: 0.5 },
      { ...pred('c', ['ABC123']), state: null, state_confidence: null },
    ];
    const s = summarize(lines, preds);
    expect(s.stateAccuracy).toBe(0.25);
    expect(s.stateCoverage).toBe(0.5);
    expect(s.statePrecision).toBe(0.5);
  });

  it('reports detection as null when every line is a crop', () => {
    expect(summarize([line('a', 'A1B2', true)], [pred('a', ['A1B2'])]).detection).toBeNull();
  });

  it.each([
    [[], 0.5, 0],
    [[5], 0.9, 5],
    [[3, 1, 2], 0.5, 2],
    [[1, 2, 3, 4], 0.5, 2.5],
  ])('quantile(%j, %f) = %f', (v, q, want) => {
    expect(quantile(v, q)).toBe(want);
  });
});

describe('manifest and predictions', () => {
  it('parses lines and names every bad one', () => {
    const ok = '{"image":"a.jpg","width":10,"height":5,"plates":[{"text":"AB1","box":[0,0,10,5]}]}\n\n';
    expect(parseManifest(ok)).toHaveLength(1);
    expect(() => parseManifest(`${ok}{"image":"b.jpg","plates":[]}\nnot json\n`)).toThrow(/2 bad line/);
  });

  it('writes the primary plate first with rounded boxes', () => {
    const p = toPrediction(
      'x.jpg',
      [
        {
          box: { x: 1.4, y: 2.6, w: 10, h: 5 },
          text: 'AB12',
          confidence: 0.5,
          candidates: [
            { text: 'AB12', confidence: 0.5 },
            { text: 'A812', confidence: 0.2 },
          ],
          charConfidences: [],
          detScore: 1,
          state: { code: 'CA', confidence: 0.91 },
        },
      ],
      12.345,
    );
    expect(p).toEqual({
      image: 'x.jpg',
      candidates: ['AB12', 'A812'],
      boxes: [[1, 3, 10, 5]],
      ms: 12.3,
      confidences: [0.5],
      texts: ['AB12'],
      state: 'CA',
      state_confidence: 0.91,
    });
  });
});

describe('runEval: the legend look on frames', () => {
  const reading = (text: string, state: PlateReading['state'] = null): PlateReading => ({
    box: { x: 10, y: 10, w: 40, h: 10 },
    text,
    confidence: 0.9,
    candidates: [{ text, confidence: 0.9 }],
    charConfidences: [],
    detScore: 1,
    state,
  });
  /** Each image's reads, keyed by its file name (decode passes the name along). */
  const READS: Record<string, PlateReading[]> = {
    'a.jpg': [reading('7ABC123', { code: 'CA', confidence: 0.9 })],
    'b.jpg': [reading('BGB3282')],
    'c.jpg': [reading('EUS664')],
    'd.jpg': [],
  };
  type Named = { width: number; height: number; data: Buffer; name: string };

  async function run(look?: (p: PlateReading) => PlateReading['state'] | undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'alpr-eval-'));
    const looked: string[] = [];
    try {
      const { summary, predictions } = await runEval({
        lines: Object.keys(READS).map((i) => line(i, 'X')),
        root: dir,
        out: join(dir, 'p.jsonl'),
        decode: async (path): Promise<Named> => ({
          width: 4,
          height: 4,
          data: Buffer.alloc(48),
          name: basename(path),
        }),
        recognizer: {
          readFrame: async (i) => READS[(i as Named).name] ?? [],
          readCrop: async () => null,
        },
        ...(look
          ? {
              legendLook: async (_i: unknown, p: PlateReading) => {
                looked.push(p.text);
                return look(p);
              },
            }
          : {}),
      });
      return { summary, predictions, looked };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('looks only at frames whose read names no state, and counts what it names', async () => {
    const { summary, predictions, looked } = await run((p) =>
      p.text === 'BGB3282' ? { code: 'TX', confidence: 0.8 } : null,
    );
    expect(looked).toEqual(['BGB3282', 'EUS664']);
    expect(predictions.map((p) => [p.state, 'legend_state' in p, p.legend_state])).toEqual([
      ['CA', false, undefined],
      [null, true, 'TX'],
      [null, true, null],
      [null, false, undefined],
    ]);
    expect([summary.framesStateNamed, summary.framesStateNamedWithLook]).toEqual([1, 2]);
    expect(formatSummary(summary)).toMatch(/named on 1 of 4 by their reads, 2 with the car's legend look/);
  });

  it('a frame the car would not look at (undefined) carries no legend_state', async () => {
    const { summary, predictions } = await run((p) => (p.text === 'EUS664' ? undefined : null));
    expect(predictions.map((p) => 'legend_state' in p)).toEqual([false, true, false, false]);
    expect([summary.framesStateNamed, summary.framesStateNamedWithLook]).toEqual([1, 1]);
  });

  it('without the look: the reads alone', async () => {
    const { summary, looked } = await run();
    expect([summary.framesStateNamed, summary.framesStateNamedWithLook, looked]).toEqual([1, undefined, []]);
  });
});
