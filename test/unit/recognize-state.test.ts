import { describe, expect, it } from 'vitest';
import {
  patternMisfits,
  seriesMisfits,
  US_JURISDICTIONS,
  usJurisdiction,
} from '../../src/domain/us-plates.ts';
import {
  applyState,
  guessState,
  joinedLines,
  statePrior,
  stateEvidence,
  substringDistance,
} from '../../src/recognize/state.ts';

describe('US plate series data', () => {
  it('has the 50 states and DC once each, every pattern of letters and digits', () => {
    const codes = US_JURISDICTIONS.map((j) => j.code);
    expect(new Set(codes).size).toBe(51);
    for (const j of US_JURISDICTIONS) {
      expect(j.words.length).toBeGreaterThan(0);
      for (const p of j.patterns) expect(p).toMatch(/^[LD]{4,8}$/);
    }
    expect(usJurisdiction('ca')?.words[0]).toBe('CALIFORNIA');
  });

  it.each([
    ['7ABC123', 'DLLLDDD', 0],
    ['7AB0123', 'DLLLDDD', 0], // a round O is recorded as 0 in a letter position
    ['7A1C123', 'DLLLDDD', 1],
    ['ABC1234', 'DLLLDDD', 2],
    ['ABC123', 'DLLLDDD', Number.POSITIVE_INFINITY],
  ])('%s against %s misfits %d', (text, pattern, n) => {
    expect(patternMisfits(text, pattern)).toBe(n);
  });

  it('takes the best of a state series', () => {
    expect(seriesMisfits('ABC1234', 'TX')).toBe(0);
    expect(seriesMisfits('ABC1234', 'XX')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('telling the state from words on the plate', () => {
  it('finds a word inside a longer line, with edits counted', () => {
    expect(substringDistance('TEXAS', 'XXTEXASYY')).toBe(0);
    expect(substringDistance('TEXAS', 'TEXS')).toBe(1);
    // look-alikes (I/L) cost half an edit
    expect(substringDistance('IOWA', 'LOWA')).toBe(0.5);
  });

  it.each([
    [['CALIFORNIA'], 'CA'],
    [['7ABC123', 'dmv.ca.gov'], 'CA'],
    [['Land of Lincoln'], 'IL'],
    [['LOWA', 'POLK'], 'IA'],
    [['WESTVIRGINIA'], 'WV'],
    [['NEW HAMPSHIRE'], 'NH'],
    [['HAMPSHIRE'], 'NH'], // one distinctive word of a legend
    [['BIRTHPLACE'], 'OH'],
    [['GREATFACR', 'APAES'], 'SD'], // a run of a slogan's words ("Great Faces")
    [['STARSFELLON'], 'AL'],
    [['GARDENSTATE'], 'NJ'], // not North Dakota, whose "Peace Garden State" holds it
    [['VIRGINIA'], 'VA'], // not West Virginia
  ])('%j → %s', (lines, code) => {
    expect(guessState(stateEvidence(lines))?.code).toBe(code);
  });

  it('counts a word or run of a legend only where no other state prints it', () => {
    // "VIRGINIA" is inside West Virginia's name: Virginia's evidence alone
    expect([...stateEvidence(['VIRGINIA'])]).toEqual([['VA', 8]]);
    // "GARDEN STATE" is inside North Dakota's "Peace Garden State": New Jersey's alone
    expect(stateEvidence(['GARDENSTATE']).get('ND')).toBeUndefined();
  });

  it('names no state from a registration or a short unrelated word', () => {
    expect(guessState(stateEvidence(['ABC1234', 'JAN', '2014']))).toBeNull();
  });

  it('is less confident when two states have evidence', () => {
    const alone = guessState(stateEvidence(['VIRGINIA']))!;
    const both = guessState(stateEvidence(['VIRGINIA', 'TEXAS']))!;
    expect(alone.confidence).toBeGreaterThan(both.confidence);
    expect(alone.confidence).toBeGreaterThan(0.9);
  });
});

describe('legends cut in several lines', () => {
  const line = (text: string, x: number, y: number, w: number, h: number) => ({ text, box: { x, y, w, h } });

  it('joins lines side by side on one row, left to right, whatever order they come in', () => {
    // a script "California" the detector cut at its letter gap, a month sticker on its left
    const lines = [
      line('FORNA', 140, 18, 110, 33),
      line('5PPP064', 40, 60, 270, 90),
      line('CALIP', 20, 8, 110, 44),
    ];
    expect(joinedLines(lines)).toEqual(['CALIPFORNA']);
    expect(guessState(stateEvidence(lines.map((l) => l.text)))).toBeNull();
    expect(guessState(stateEvidence([...lines.map((l) => l.text), ...joinedLines(lines)]))?.code).toBe('CA');
  });

  it('joins a whole row, so a longer legend outweighs a word of another state inside it', () => {
    const lines = [
      line('STATE', 200, 120, 60, 20),
      line('GREEN', 20, 120, 60, 20),
      line('MOUNTAIN', 90, 121, 100, 19),
      line('VERMONT', 60, 5, 180, 30),
    ];
    expect(joinedLines(lines)).toEqual(['GREENMOUNTAINSTATE']);
    // West Virginia's "Mountain State" is in the row too; Vermont's whole legend is longer
    const texts = [...lines.map((l) => l.text), ...joinedLines(lines)];
    expect(guessState(stateEvidence(texts))?.code).toBe('VT');
  });

  it('leaves lines apart: on other rows, far apart, overlapping or empty', () => {
    expect(joinedLines([line('CALI', 0, 0, 50, 20), line('FORNIA', 55, 40, 70, 20)])).toEqual([]);
    expect(joinedLines([line('CALI', 0, 0, 50, 20), line('FORNIA', 75, 0, 70, 20)])).toEqual([]);
    expect(joinedLines([line('CALI', 0, 0, 50, 20), line('FORNIA', 20, 0, 70, 20)])).toEqual([]);
    expect(joinedLines([line('', 0, 0, 50, 20), line('FORNIA', 55, 0, 70, 20)])).toEqual([]);
    expect(joinedLines([line('CALI', 0, 0, 50, 20), line('FORNIA', 65, 2, 70, 20)])).toEqual(['CALIFORNIA']);
  });
});

describe('state-aware rescoring', () => {
  const ca = { code: 'CA', confidence: 1 };
  it('weighs a reading that misfits the series below one that fits', () => {
    expect(statePrior('5NWV468', ca)).toBe(1);
    expect(statePrior('5NWVL68', ca)).toBeLessThan(0.5);
    expect(statePrior('5NWVL68', null)).toBe(1);
    // half sure: half way
    expect(statePrior('5NWVL68', { code: 'CA', confidence: 0.5 })).toBeCloseTo(
      0.5 + 0.5 * statePrior('5NWVL68', ca),
    );
  });

  it('reorders candidates, keeping their probabilities', () => {
    const ranked = [
      { text: '5NWVL68', prob: 0.5, score: 0.5 },
      { text: '5NWV468', prob: 0.3, score: 0.3 },
    ];
    const out = applyState(ranked, ca);
    expect(out.map((r) => r.text)).toEqual(['5NWV468', '5NWVL68']);
    expect(out[1]!.prob).toBe(0.5);
    expect(applyState(ranked, null).map((r) => r.text)).toEqual(['5NWVL68', '5NWV468']);
  });
});
