import { describe, expect, it } from 'vitest';
import {
  classWeights,
  formatPrior,
  framePlatePrior,
  isPlausibleText,
  isPlausibleTextBox,
  mergeCandidates,
  rescore,
} from '../../src/recognize/plates.ts';

describe('plate plausibility', () => {
  it.each([
    ['7ABC123', true],
    ['AB12', true],
    ['ABCDEFG', false],
    ['A1', false],
    ['123456789', false],
    ['AB-123', false],
  ])('isPlausibleText(%s) = %s', (t, v) => {
    expect(isPlausibleText(t)).toBe(v);
  });

  it.each([
    [{ x: 0, y: 0, w: 90, h: 30 }, true],
    [{ x: 0, y: 0, w: 30, h: 30 }, false],
    [{ x: 0, y: 0, w: 400, h: 30 }, false],
    [{ x: 0, y: 0, w: 20, h: 4 }, false],
  ])('isPlausibleTextBox(%o) = %s', (b, v) => {
    expect(isPlausibleTextBox(b)).toBe(v);
  });

  it('prefers 5-7 characters with a digit', () => {
    expect(formatPrior('ABC123')).toBe(1);
    expect(formatPrior('AB12')).toBeLessThan(1);
    expect(formatPrior('ABCDEF')).toBeLessThan(formatPrior('ABCDE1'));
    expect(formatPrior('A1')).toBeLessThan(formatPrior('AB12'));
  });
});

describe('priors', () => {
  it('weights I, O and Q down and nothing else', () => {
    const w = classWeights('0AIOQZ');
    expect(w[0]).toBe(1);
    expect(w[1]).toBe(1);
    expect(w[2]).toBeLessThan(1);
    expect(w[3]).toBeLessThan(1);
    expect(w[4]).toBeLessThan(1);
    expect(w[5]).toBe(1);
  });

  it.each([
    ['ABC123', 1],
    ['20140508', 0.2],
    ['1049338', 0.2],
  ])('framePlatePrior(%s) = %f', (t, v) => {
    expect(framePlatePrior(t)).toBe(v);
  });
});

describe('candidate merging', () => {
  it('averages probabilities over lists, missing = 0', () => {
    const m = mergeCandidates([
      [
        { text: 'ABC123', prob: 0.6 },
        { text: 'A8C123', prob: 0.3 },
      ],
      [{ text: 'A8C123', prob: 0.8 }],
    ]);
    expect(m.map((s) => s.text)).toEqual(['A8C123', 'ABC123']);
    expect(m[0]!.prob).toBeCloseTo(0.55);
    expect(m[1]!.prob).toBeCloseTo(0.3);
  });

  it('rescore ranks by prob x prior, keeps prob as confidence, filters', () => {
    const r = rescore(
      [
        { text: 'ABCD', prob: 0.5 },
        { text: 'ABC12', prob: 0.4 },
        { text: 'XY', prob: 0.9 },
      ],
      isPlausibleText,
    );
    expect(r.map((s) => s.text)).toEqual(['ABC12']);
    expect(r[0]).toEqual({ text: 'ABC12', prob: 0.4, score: 0.4 });
  });
});
