/**
 * A frame's read as a plate (asPlate): a text shaped like a serial keeps the reader's confidence;
 * any other text is weighed by the plate classifier's probability for its window, taken with the
 * odds of its shape.
 */
import { describe, expect, it } from 'vitest';
import { firstPass, recognizeSection, resolveRecognize } from '../../src/config/sections/recognize.ts';
import { serialShaped } from '../../src/domain/plate.ts';
import type { PlateReading } from '../../src/domain/types.ts';
import { asPlate, plateWeight, textPlateOdds } from '../../src/recognize/plate-cls.ts';

function reading(text: string, confidence: number): PlateReading {
  return {
    box: { x: 10, y: 10, w: 80, h: 20 },
    text,
    confidence,
    candidates: [
      { text, confidence },
      { text: `${text}X`, confidence: confidence / 4 },
    ],
    charConfidences: [...text].map(() => 0.9),
    detScore: 0.8,
  };
}

describe('serialShaped', () => {
  it.each([
    ['7ABC123', true],
    ['ABC12', true],
    ['CAMRY', false], // letters only
    ['8675309', false], // digits only
    ['RAV4', false], // four characters
    ['UNIT4521', false], // eight
    ['0NLY00', false], // a word whose only digits are zeros
    ['2014066', false], // a year, then digits
  ])('%s: %s', (t, v) => {
    expect(serialShaped(t)).toBe(v);
  });
});

describe('textPlateOdds', () => {
  it.each([
    ['7ABC123', 1],
    ['CAMRY', 0.2],
    ['8675309', 0.2],
    ['RAV4', 0.4],
    ['SAAB', 0.2 * 0.4],
    ['ESCORTSE', 0.2 * 0.4],
    ['2014066', 0.05],
    ['AB', 0.2 * 0.1],
    ['A1', 0.1],
  ])('%s: %f', (t, v) => {
    expect(textPlateOdds(t)).toBeCloseTo(v, 12);
  });
});

describe('asPlate', () => {
  it('leaves a serial as the reader read it, whatever the classifier says', () => {
    const r = reading('7ABC123', 0.95);
    expect(asPlate(r, 0.01)).toBe(r);
  });

  it('leaves any read as it is where the classifier did not score its region', () => {
    const r = reading('CAMRY', 0.97);
    expect(asPlate(r, undefined)).toBe(r);
  });

  it('takes a badge the classifier rejects below the read floor, candidates with it', () => {
    const r = reading('CAMRY', 0.97);
    const out = asPlate(r, 0.002);
    // odds 0.002/0.998 × 0.2: q ≈ 4e-4, weight ≈ the floor (0.1)
    expect(out.confidence).toBeCloseTo(0.97 * plateWeight((0.002 * 0.2) / (0.998 + 0.002 * 0.2)), 12);
    expect(out.confidence).toBeLessThan(0.2);
    expect(out.candidates.map((c) => c.confidence)).toEqual(
      r.candidates.map((c) => c.confidence * (out.confidence / 0.97)),
    );
    expect(out.text).toBe('CAMRY');
    expect(out.box).toEqual(r.box);
    // the input is not changed
    expect(r.confidence).toBe(0.97);
  });

  it('keeps most of a vanity plate the classifier is sure of, and more the surer it is', () => {
    const sure = asPlate(reading('FZRULZ', 0.98), 0.99).confidence;
    const doubt = asPlate(reading('FZRULZ', 0.98), 0.7).confidence;
    // odds 99 × 0.2 = 19.8: q 0.952
    expect(sure).toBeCloseTo(0.98 * plateWeight(19.8 / 20.8), 12);
    expect(sure).toBeGreaterThan(0.9);
    expect(doubt).toBeLessThan(sure);
    expect(doubt).toBeGreaterThan(0.2);
  });

  it('weighs a number as much as a word, a date-like number more, a classifier certainty not at all', () => {
    const word = asPlate(reading('CAMRY', 0.9), 0.8).confidence;
    const num = asPlate(reading('8675309', 0.9), 0.8).confidence;
    const date = asPlate(reading('2014066', 0.9), 0.8).confidence;
    expect(num).toBeCloseTo(word, 12);
    expect(date).toBeLessThan(num);
    expect(asPlate(reading('CAMRY', 0.9), 1).confidence).toBe(0.9);
  });
});

describe('recognize.plateClassifier governs the weighing of words', () => {
  it.each([true, false])('plateClassifier %s: the screen and the full pipeline weigh words alike', (on) => {
    const full = resolveRecognize(recognizeSection.parse({ profile: 'accurate', plateClassifier: on }));
    const screen = firstPass(full);
    expect(full.weighWords).toBe(on);
    expect(screen.weighWords).toBe(on);
    // the screen loads the classifier for its gate either way, and never ranks by it
    expect(screen.sureStop).toBeDefined();
    expect(screen.plateClassifier).toBe(false);
  });
});
