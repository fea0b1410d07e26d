import { describe, expect, it } from 'vitest';
import type { CtcEvidence, HitMatch } from '../../src/domain/types.ts';
import { judge, judgeMatches, LEVEL_RULE, textProbability } from '../../src/hotlist/evidence.ts';
import { beamSearch, ctcLogProb } from '../../src/recognize/ctc.ts';
import { spell } from '../helpers/ctc-evidence.ts';

const score = (ev: CtcEvidence, t: string) => ctcLogProb(ev.probs, ev.T, ev.K, t);

describe('CTC forward probability', () => {
  it('equals the brute-force sum over every alignment', () => {
    const A = 'AB';
    const T = 5;
    const k = 3;
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const probs = new Float32Array(T * k);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let j = 0; j < k; j++) {
        probs[t * k + j] = rnd() + 0.05;
        s += probs[t * k + j]!;
      }
      for (let j = 0; j < k; j++) probs[t * k + j]! /= s;
    }
    const brute = new Map<string, number>();
    const walk = (t: number, path: number[], p: number) => {
      if (t === T) {
        let out = '';
        let prev = 0;
        for (const c of path) {
          if (c !== 0 && c !== prev) out += A[c - 1];
          prev = c;
        }
        brute.set(out, (brute.get(out) ?? 0) + p);
        return;
      }
      for (let j = 0; j < k; j++) walk(t + 1, [...path, j], p * probs[t * k + j]!);
    };
    walk(0, [], 1);
    for (const [text, p] of brute) expect(Math.exp(ctcLogProb(probs, T, k, text, A))).toBeCloseTo(p, 10);
    // and agrees with the beam search's summed probabilities
    for (const b of beamSearch(probs, T, k, 64, A, 0).slice(0, 5))
      expect(Math.exp(ctcLogProb(probs, T, k, b.text, A))).toBeCloseTo(b.prob, 10);
  });

  it('gives a text that cannot fit, or has a foreign character, probability 0', () => {
    const ev = spell('AB1', 0.9);
    expect(ctcLogProb(ev.probs, ev.T, ev.K, 'AB1AB1AB1AB1')).toBe(Number.NEGATIVE_INFINITY);
    expect(ctcLogProb(ev.probs, ev.T, ev.K, 'AB*')).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('hits by evidence', () => {
  it('scores a near miss the decoder did not keep', () => {
    // F read as P at one step with 0.4 left for F: the entry CK0A1F still has a real chance
    const ev = {
      frames: [[spell('CK0A1P', 0.6, { 5: 'F' })]],
      candidates: [{ text: 'CK0A1P', confidence: 0.6 }],
    };
    expect(textProbability(ev, 'CK0A1F', score)).toBeCloseTo(0.4, 5);
    expect(textProbability(ev, 'CK0A1X', score)).toBeLessThan(1e-20);
  });

  it('averages over crops and frames', () => {
    const ev = { frames: [[spell('ABC123', 1)], [spell('ABC123', 0.5, { 0: 'X' })]], candidates: [] };
    expect(textProbability(ev, 'ABC123', score)).toBeCloseTo(0.75, 5);
  });

  it('weighs each crop by how far it reads the plate: a crop showing something else does not dilute', () => {
    // two crops of the plate, and the plate-shaped window around it read as other text entirely
    const plate = [spell('ABC123', 0.9, { 2: 'E' }), spell('ABC123', 1)];
    const window = spell('XK7', 1);
    const ev = {
      frames: [[...plate, window]],
      candidates: [
        { text: 'ABC123', confidence: 0.6 },
        { text: 'ABE123', confidence: 0.03 },
      ],
    };
    // (0.9 * 0.9 + 1 * 1 + 0 * 0) / (0.9 + 1 + 0); a plain mean would give (0.9 + 1 + 0) / 3
    expect(textProbability(ev, 'ABC123', score)).toBeCloseTo((0.81 + 1) / 1.9, 5);
    expect(textProbability(ev, 'ABE123', score)).toBeCloseTo((0.9 * 0.1) / 1.9, 5);
    // what only the unsupported crop reads gets no weight from it
    expect(textProbability(ev, 'XK7', score)).toBeLessThan(1e-6);
    // no crop reads any candidate (or there are none): a plain mean
    const none = { frames: [[spell('ABC123', 1), spell('XK7', 1)]], candidates: [] };
    expect(textProbability(none, 'ABC123', score)).toBeCloseTo(0.5, 5);
  });

  it('confirms only the best text when sure and well clear; possible for a real chance; else nothing', () => {
    const best = { text: 'ABC123', p: 0.9 };
    expect(judge('ABC123', 0.9, best, 0.05)?.level).toBe('confirmed');
    // the best text, but a close rival: possible
    expect(judge('ABC123', 0.55, { text: 'ABC123', p: 0.55 }, 0.4)?.level).toBe('possible');
    // confirmed needs 6 to 1 against the runner-up: 5 to 1 is only possible
    expect(judge('ABC123', 0.8, { text: 'ABC123', p: 0.8 }, 0.16)?.level).toBe('possible');
    expect(judge('ABC123', 0.8, { text: 'ABC123', p: 0.8 }, 0.13)?.level).toBe('confirmed');
    expect(judge('ABC128', 0.05, best, 0.9)?.level).toBe('possible');
    expect(judge('ABC128', LEVEL_RULE.possibleMin / 2, best, 0.9)).toBeNull();
    // a wildcard is never confirmed
    expect(judge('ABC123*', 0.9, best, 0)?.level).toBe('possible');
  });

  const match = (entryPlate: string, candidateIndex = 0): HitMatch => ({
    list: 'L',
    listVersion: '1',
    entryPlate,
    state: null,
    priority: 1,
    caseNumber: null,
    reason: null,
    informational: false,
    shareable: false,
    approximate: false,
    substitutions: [],
    candidateIndex,
  });

  it('weighs a rival text by how far it could be a plate: a crop reading a fragment does not block confirmed', () => {
    const read = (rival: string) => ({
      frames: [[spell('CW1694', 1), spell('CW1694', 1), spell(rival, 1)]],
      candidates: [
        { text: 'CW1694', confidence: 0.67 },
        { text: rival, confidence: 0.33 },
      ],
    });
    // the third crop reads the serial's digits alone: 2/3 against a 3-digit fragment is confirmed
    const fragment = judgeMatches([match('CW1694')], read('694'), score);
    expect(fragment.map((m) => m.level)).toEqual(['confirmed']);
    expect(fragment[0]!.probability).toBeCloseTo(2 / 3, 3);
    // the same odds against a text that could be the plate (one glyph off) are only possible
    expect(judgeMatches([match('CW1694')], read('CW1604'), score).map((m) => m.level)).toEqual(['possible']);
  });

  it('keeps the found entries the evidence supports, confirmed first', () => {
    const ev = {
      frames: [[spell('CH0P8Y', 0.97, { 2: 'O' })]],
      candidates: [
        { text: 'CH0P8Y', confidence: 0.97 },
        { text: 'CHOP8Y', confidence: 0.03 },
      ],
    };
    const out = judgeMatches([match('CHOP8Y', 1), match('CH0P8Y'), match('CH0P8X')], ev, score);
    expect(out.map((m) => [m.entryPlate, m.level])).toEqual([
      ['CH0P8Y', 'confirmed'],
      ['CHOP8Y', 'possible'],
    ]);
    expect(out[1]!.approximate).toBe(true);
    expect(out[0]!.probability).toBeCloseTo(0.97, 2);
  });

  it('falls back on the candidates when there is no CTC output', () => {
    const ev = { frames: [], candidates: [{ text: 'ABC123', confidence: 0.8 }] };
    // a look-alike of the top candidate is possible at most; an unsure top read is not confirmed
    const lookalike = { ...match('A8C123'), approximate: true, substitutions: [1] };
    expect(judgeMatches([lookalike, match('ABC123')], ev, score).map((m) => [m.entryPlate, m.level])).toEqual(
      [
        ['ABC123', 'confirmed'],
        ['A8C123', 'possible'],
      ],
    );
    const unsure = { frames: [], candidates: [{ text: 'ABC123', confidence: 0.3 }] };
    expect(judgeMatches([match('ABC123')], unsure, score).map((m) => m.level)).toEqual(['possible']);
  });

  it('weighs a text by how plate-like it is: a confident date or phone number is never confirmed', () => {
    const ev = {
      frames: [[spell('2014', 0.99, { 0: 'Z' })]],
      candidates: [{ text: '2014', confidence: 0.99 }],
    };
    const [m] = judgeMatches([match('2014')], ev, score);
    expect(m?.level).toBe('possible');
    expect(m?.probability).toBeCloseTo(0.99 * 0.05, 3);
    const digits = { frames: [[spell('9937410', 1)]], candidates: [{ text: '9937410', confidence: 1 }] };
    expect(judgeMatches([match('9937410')], digits, score)[0]?.level).toBe('possible');
  });

  it('asks more of a possible hit whose shape the lists hold much of', () => {
    const best = { text: 'ABC123', p: 0.9 };
    // a 5% read of the entry: possible where 1 text in 1,000 of its shape is listed …
    expect(judge('ABC128', 0.05, best, 0.9, LEVEL_RULE, 0.001)?.level).toBe('possible');
    // … nothing where 1 in 100 is (10 × 0.01 > 0.05): a misread there lands on an entry too often
    expect(judge('ABC128', 0.05, best, 0.9, LEVEL_RULE, 0.01)).toBeNull();
    // by odds: a 35% read (odds 7 to 13) stands where 1 in 25 is listed (10 × 0.04 × 0.65 = 0.26),
    // a 20% one does not (10 × 0.04 × 0.8 = 0.32 > 0.2)
    expect(judge('ABC128', 0.35, best, 0.9, LEVEL_RULE, 0.04)?.level).toBe('possible');
    expect(judge('ABC128', 0.2, best, 0.9, LEVEL_RULE, 0.04)).toBeNull();
    // the density never touches a confirmed read
    expect(judge('ABC123', 0.9, best, 0.01, LEVEL_RULE, 1)?.level).toBe('confirmed');
    // judgeMatches asks the density of the entry's own text
    const ev = {
      frames: [[spell('ABC123', 0.95, { 5: '8' })]],
      candidates: [{ text: 'ABC123', confidence: 0.95 }],
    };
    const seen: string[] = [];
    const dense = (t: string) => {
      seen.push(t);
      return 0.5;
    };
    expect(judgeMatches([match('ABC128')], ev, score, LEVEL_RULE, undefined, () => 0)[0]?.level).toBe(
      'possible',
    );
    expect(judgeMatches([match('ABC128')], ev, score, LEVEL_RULE, undefined, dense)).toEqual([]);
    expect(seen).toEqual(['ABC128']);
  });
});
