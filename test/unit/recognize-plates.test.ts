import { describe, expect, it } from 'vitest';
import {
  classWeights,
  dropStackedWords,
  formatPrior,
  framePlatePrior,
  framePositionPrior,
  inLinesOfLettering,
  LINE_GAP_SHARE,
  LINE_HEIGHT_SHARE,
  isPlausibleText,
  isPlausibleTextBox,
  fitsAnyStandardSeries,
  mergeCandidates,
  OUTSIDE_SERIES_WEIGHT,
  orderAlternates,
  rescore,
} from '../../src/recognize/plates.ts';
import { isDateStamp } from '../../src/domain/plate.ts';

describe('plate plausibility', () => {
  it.each([
    ['7ABC123', true],
    ['AB12', true],
    ['ABCDEFG', true], // vanity plates may have no digit (ranked after mixed texts)
    ['ABCDEFGHI', false],
    ['NEVADA', false], // the state name printed on the plate
    ['COUNTY', false],
    ['0REGON', false], // a legend with a round O read as the digit
    ['1DAH0', false],
    ['0REG0N1', true], // longer than the word: not the legend alone
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
    ['20140508', 0.05], // a date: timestamp overlay
    ['2014', 0.05], // a registration sticker's year
    ['1049338', 0.2],
    ['5201403', 0.2], // digits only, not a year at the start
    ['FZRULZ', 0.2],
    ['2014ABC', 1],
    ['0NLY', 0.2], // ONLY painted on the road: a round O reads as 0
    ['PR0CHEM', 0.2], // lettering on a van
    ['CH0P8Y', 1], // a 0 beside other digits is a serial's
    ['A075307', 1],
  ])('framePlatePrior(%s) = %f', (t, v) => {
    expect(framePlatePrior(t)).toBe(v);
  });

  it.each([
    ['20140428', true], // a camera's date stamp
    ['19991231', true],
    ['20240229', true],
    ['20141428', false], // no month 14
    ['20140400', false], // no day 0
    ['20140432', false], // no day 32
    ['21140428', false], // not 19xx/20xx
    ['2014042', false], // seven digits: a digits-only serial may start so
    ['201404281', false],
    ['2014O428', false],
  ])('isDateStamp(%s) = %s', (t, v) => {
    expect(isDateStamp(t)).toBe(v);
  });

  it.each([
    [{ x: 500, y: 300, w: 100, h: 40 }, 1], // mid-frame
    [{ x: 0, y: 0, w: 120, h: 27 }, 0.2], // corner timestamp
    [{ x: 57, y: 3, w: 60, h: 15 }, 0.2], // within 1% of the top edge
    [{ x: 1214, y: 694, w: 50, h: 26 }, 0.2], // bottom right: 694 + 26 = 720
    [{ x: 1100, y: 600, w: 150, h: 60 }, 1], // near, not at, the bottom right
  ])('framePositionPrior(%o) on 1280x720 = %f', (b, v) => {
    expect(framePositionPrior(b, 1280, 720)).toBe(v);
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
    // XY is too short; ABCD (4 letters, no digit) stays but its prior (0.4 × 0.3) ranks it last
    expect(r.map((s) => s.text)).toEqual(['ABC12', 'ABCD']);
    expect(r[0]).toEqual({ text: 'ABC12', prob: 0.4, score: 0.4 });
    expect(r[1]!.prob).toBe(0.5);
    expect(r[1]!.score).toBeCloseTo(0.5 * 0.4 * 0.3);
  });
});

describe('inLinesOfLettering', () => {
  const box = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });
  // a sign's number, 40 px tall
  const number = box(960, 150, 180, 40);

  it('finds a like-sized line right above or below', () => {
    expect(inLinesOfLettering(number, [box(964, 100, 150, 38)])).toBe(true); // STORAGE, 12 px above
    expect(inLinesOfLettering(number, [box(940, 200, 220, 30)])).toBe(true); // 0.75 of its height, below
    // exactly the share of the height counts, a pixel less does not
    expect(inLinesOfLettering(number, [box(960, 110, 180, 40 * LINE_HEIGHT_SHARE)])).toBe(true);
    expect(inLinesOfLettering(number, [box(960, 110, 180, 40 * LINE_HEIGHT_SHARE - 1)])).toBe(false);
  });

  it('counts lines set less than half a line apart, not farther', () => {
    const gapOf = (px: number) => box(960, 150 + 40 + px, 180, 40);
    expect(LINE_GAP_SHARE).toBe(0.5);
    expect(inLinesOfLettering(number, [gapOf(0)])).toBe(true); // touching
    expect(inLinesOfLettering(number, [gapOf(19)])).toBe(true);
    expect(inLinesOfLettering(number, [gapOf(20)])).toBe(false); // half a line: a badge above a plate
    expect(inLinesOfLettering(number, [gapOf(45)])).toBe(false);
  });

  it("ignores a plate's own legend, text beside it, off to the side, and itself", () => {
    const serial = box(500, 500, 120, 40);
    const legend = box(510, 484, 100, 14); // the state's name: a third of the serial's height
    const besides = box(640, 505, 90, 36); // a sticker or a dealer's word on the same rows
    const offside = box(640, 455, 120, 40); // above, but overlapping none of its width
    const halfOver = box(561, 545, 120, 40); // below, overlapping under half of the narrower width
    expect(inLinesOfLettering(serial, [serial, legend, besides, offside, halfOver])).toBe(false);
    expect(inLinesOfLettering(serial, [box(560, 545, 120, 40)])).toBe(true); // half of it: counts
  });
});

describe('dropStackedWords', () => {
  const at = (text: string, x: number, y: number, w = 100, h = 30) => ({ text, box: { x, y, w, h } });

  it('drops a letters-only line right above or below a plate read, keeps the rest', () => {
    const plate = at('7ABC123', 100, 100);
    const above = at('KANSASX', 110, 60, 80, 20); // state-like line 20 px above
    const below = at('SUNSHINE', 95, 135, 110, 18);
    const farWord = at('PARKING', 600, 100); // a sign elsewhere
    const farBelow = at('ABCDEF', 100, 300); // letters-only, far under: its own vanity plate
    const kept = dropStackedWords([plate, above, below, farWord, farBelow]).map((p) => p.text);
    expect(kept).toEqual(['7ABC123', 'PARKING', 'ABCDEF']);
  });

  it('keeps a vanity plate when no plate read is stacked with it', () => {
    expect(dropStackedWords([at('FZRULZ', 0, 0)]).map((p) => p.text)).toEqual(['FZRULZ']);
  });

  it('keeps a vanity plate above a legend misread with a digit, which scores far lower', () => {
    const plate = { ...at('FZRULZ', 149, 331, 62, 20), score: 0.0068 };
    const legend = { ...at('NATLAN1', 159, 349, 40, 7), score: 0.00001 };
    expect(dropStackedWords([plate, legend]).map((p) => p.text)).toEqual(['FZRULZ', 'NATLAN1']);
    // the same legend line scoring above the plate still drops it
    expect(dropStackedWords([plate, { ...legend, score: 0.01 }]).map((p) => p.text)).toEqual(['NATLAN1']);
  });
});

describe('alternates ordered by the standard serial series', () => {
  it("knows which texts fit some state's standard series", () => {
    expect(fitsAnyStandardSeries('7ABC123')).toBe(true); // CA
    expect(fitsAnyStandardSeries('ABC1234')).toBe(true); // TX, NY, …
    expect(fitsAnyStandardSeries('4ASC7399')).toBe(false); // an extra glyph at the edge
    expect(fitsAnyStandardSeries('ZZZZZZZZ')).toBe(false);
  });

  it('never moves the best reading; an alternate that fits a series passes one that does not', () => {
    const ranked = [
      { text: '4ASC7399', score: 0.5 },
      { text: 'A5C7399', score: 0.3 }, // fits no series
      { text: 'ASC7399', score: 0.2 }, // fits LLLDDDD
      { text: 'ASC739', score: 0.01 },
    ];
    const out = orderAlternates(ranked).map((r) => r.text);
    expect(out[0]).toBe('4ASC7399');
    expect(out.slice(1, 3)).toEqual(['ASC7399', 'A5C7399']);
    expect(out).toHaveLength(4);
  });

  it('keeps a clearly likelier alternate ahead, whatever its series', () => {
    const ranked = [
      { text: 'FZRULZ', score: 0.6 },
      { text: 'FZRUL2', score: 0.3 / OUTSIDE_SERIES_WEIGHT + 0.05 },
      { text: 'ABC123', score: 0.3 },
    ];
    expect(fitsAnyStandardSeries('FZRUL2')).toBe(false);
    expect(orderAlternates(ranked).map((r) => r.text)).toEqual(['FZRULZ', 'FZRUL2', 'ABC123']);
    expect(orderAlternates([])).toEqual([]);
  });
});
