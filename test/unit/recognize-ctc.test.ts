import { describe, expect, it } from 'vitest';
import {
  beamSearch,
  greedyDecode,
  maskProbs,
  PLATE_ALPHABET,
  plateClassGroups,
} from '../../src/recognize/ctc.ts';

/** Builds a T×K probability matrix over [blank, ...PLATE_ALPHABET] from per-step {char: p} maps. */
function mat(steps: Record<string, number>[]): { probs: Float32Array; T: number; K: number } {
  const K = PLATE_ALPHABET.length + 1;
  const probs = new Float32Array(steps.length * K);
  steps.forEach((s, t) => {
    for (const [ch, p] of Object.entries(s)) {
      const k = ch === '-' ? 0 : PLATE_ALPHABET.indexOf(ch) + 1;
      probs[t * K + k] = p;
    }
  });
  return { probs, T: steps.length, K };
}

describe('plateClassGroups', () => {
  const keys = ['中', 'A', 'a', '7', 'b', 'B', '!'];
  it('maps plate characters to their model classes (class = key index + 1)', () => {
    const g = plateClassGroups(keys, false);
    expect(g[PLATE_ALPHABET.indexOf('A')]).toEqual([2]);
    expect(g[PLATE_ALPHABET.indexOf('7')]).toEqual([4]);
    expect(g[PLATE_ALPHABET.indexOf('B')]).toEqual([6]);
    expect(g[PLATE_ALPHABET.indexOf('C')]).toEqual([]);
  });
  it('folds lowercase classes into uppercase when asked', () => {
    const g = plateClassGroups(keys, true);
    expect(g[PLATE_ALPHABET.indexOf('A')]).toEqual([2, 3]);
    expect(g[PLATE_ALPHABET.indexOf('B')]).toEqual([5, 6]);
  });
});

describe('maskProbs', () => {
  it('drops other classes and renormalises each step', () => {
    // C = 4 classes: blank, 'A', '中', 'a'; groups: only A (folded from A and a)
    const out = [0.1, 0.2, 0.6, 0.1, 0.5, 0.0, 0.5, 0.0];
    const m = maskProbs(out, 2, 4, [[1, 3]]);
    expect(Array.from(m)).toEqual([expect.closeTo(0.25), expect.closeTo(0.75), 1, 0]);
  });
  it('applies class weights before renormalising', () => {
    const m = maskProbs([0.2, 0.4, 0.4], 1, 3, [[1], [2]], [1, 0.5]);
    expect(Array.from(m)).toEqual([expect.closeTo(0.25), expect.closeTo(0.5), expect.closeTo(0.25)]);
  });
  it('gives zeros (not NaN) when every kept class is 0', () => {
    const m = maskProbs([0, 1], 1, 2, [[]]);
    expect(Array.from(m)).toEqual([0, 0]);
  });
});

describe('greedyDecode', () => {
  it.each([
    [[{ A: 0.9 }, { A: 0.8 }, { '-': 0.9 }, { B: 0.7 }], 'AB', [0.9, 0.7]],
    [[{ A: 0.9 }, { '-': 0.9 }, { A: 0.6 }], 'AA', [0.9, 0.6]],
    [[{ '-': 0.9 }, { '-': 0.9 }], '', []],
    [[{ '7': 0.5, '-': 0.4 }, { Z: 0.9 }, { Z: 0.95 }], '7Z', [0.5, 0.95]],
  ] as [Record<string, number>[], string, number[]][])('decodes %j as %s', (steps, text, confs) => {
    const { probs, T, K } = mat(steps);
    const d = greedyDecode(probs, T, K);
    expect(d.text).toBe(text);
    expect(d.charConfidences.map((c) => Number(c.toFixed(3)))).toEqual(confs);
    expect(d.confidence).toBeCloseTo(confs.reduce((a, b) => a * b, 1));
  });
});

describe('beamSearch', () => {
  it('sums alignments: a text spread over paths can beat the best single path', () => {
    // best path is "-" "-" (p .36) but "A" has total .64
    const { probs, T, K } = mat([
      { '-': 0.6, A: 0.4 },
      { '-': 0.6, A: 0.4 },
    ]);
    const r = beamSearch(probs, T, K);
    expect(r[0]!.text).toBe('A');
    expect(r[0]!.prob).toBeCloseTo(0.4 * 0.4 + 0.4 * 0.6 + 0.6 * 0.4);
    expect(greedyDecode(probs, T, K).text).toBe('');
  });

  it('returns alternatives best first, repeated letters need a blank between', () => {
    const { probs, T, K } = mat([{ '0': 0.7, O: 0.3 }, { '-': 1 }, { '0': 0.6, '8': 0.4 }]);
    const r = beamSearch(probs, T, K, 8);
    expect(r.map((s) => s.text)).toEqual(['00', '08', 'O0', 'O8']);
    expect(r[0]!.prob).toBeCloseTo(0.42);
    for (let i = 1; i < r.length; i++) expect(r[i]!.prob).toBeLessThanOrEqual(r[i - 1]!.prob);
  });

  it('keeps at most `beam` texts', () => {
    const step = Object.fromEntries([...'ABCDEFGH'].map((c) => [c, 0.125]));
    const { probs, T, K } = mat([step, step, step]);
    expect(beamSearch(probs, T, K, 5).length).toBeLessThanOrEqual(5);
  });
});
