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

  it('gives exactly what a search keyed by prefix strings gives, on random outputs', () => {
    /** The plain prefix beam search (prefix strings as keys): the reference. */
    function byStrings(probs: Float32Array, T: number, K: number, beam: number, minProb: number) {
      let beams = new Map<string, [number, number]>([['', [1, 0]]]);
      for (let t = 0; t < T; t++) {
        const next = new Map<string, [number, number]>();
        const add = (key: string, pb: number, pnb: number) => {
          const e = next.get(key);
          if (e) {
            e[0] += pb;
            e[1] += pnb;
          } else next.set(key, [pb, pnb]);
        };
        for (const [prefix, [pb, pnb]] of beams) {
          add(prefix, (pb + pnb) * probs[t * K]!, 0);
          const last = prefix.slice(-1);
          for (let k = 1; k < K; k++) {
            const p = probs[t * K + k]!;
            if (p < minProb) continue;
            const ch = PLATE_ALPHABET[k - 1]!;
            if (ch === last) {
              add(prefix, 0, pnb * p);
              add(prefix + ch, 0, pb * p);
            } else add(prefix + ch, 0, (pb + pnb) * p);
          }
        }
        beams = new Map([...next].sort((a, b) => b[1][0] + b[1][1] - (a[1][0] + a[1][1])).slice(0, beam));
      }
      return [...beams]
        .map(([text, [pb, pnb]]) => ({ text, prob: pb + pnb }))
        .filter((s) => s.text.length > 0 && s.prob > 0)
        .sort((a, b) => b.prob - a.prob);
    }
    let seed = 11;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const K = PLATE_ALPHABET.length + 1;
    let compared = 0;
    for (let trial = 0; trial < 300; trial++) {
      const T = 1 + Math.floor(rnd() * 24);
      const probs = new Float32Array(T * K);
      for (let t = 0; t < T; t++) {
        // a few strong classes a step (often the same letter twice in a row, often the blank),
        // the rest small: prefixes meet from different beams and repeats collapse
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const strong = k === 0 ? rnd() < 0.6 : rnd() < 0.08 || (t > 0 && probs[(t - 1) * K + k]! > 0.2);
          probs[t * K + k] = strong ? 0.2 + rnd() : rnd() * 0.004;
          sum += probs[t * K + k]!;
        }
        for (let k = 0; k < K; k++) probs[t * K + k]! /= sum;
        // every fifth output in eighths: prefixes tie, and the ranking must keep their order
        if (trial % 5 === 4)
          for (let k = 0; k < K; k++) probs[t * K + k] = Math.round(probs[t * K + k]! * 8) / 8;
      }
      const beam = [1, 4, 16, 64][trial % 4]!;
      const minProb = trial % 3 === 0 ? 0 : 1e-3;
      const got = beamSearch(probs, T, K, beam, PLATE_ALPHABET, minProb);
      expect(got).toEqual(byStrings(probs, T, K, beam, minProb));
      compared += got.length;
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('keeps at most `beam` texts', () => {
    const step = Object.fromEntries([...'ABCDEFGH'].map((c) => [c, 0.125]));
    const { probs, T, K } = mat([step, step, step]);
    expect(beamSearch(probs, T, K, 5).length).toBeLessThanOrEqual(5);
  });
});
