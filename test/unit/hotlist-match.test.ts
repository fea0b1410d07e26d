import { describe, expect, it } from 'vitest';
import { confusable, foldKey, lookalikeDiff, wildcardDiff } from '../../src/hotlist/confusion.ts';
import { candidateTexts, type MatchSource, matchRead, type StoredEntry } from '../../src/hotlist/match.ts';
import { storedEntry } from '../helpers/hotlist-fixtures.ts';

const entry = (plate: string, over: Partial<StoredEntry> = {}) =>
  storedEntry(plate, { listVersion: '7', ...over });

/** An in-memory source with the same contract as the SQLite store. */
function source(entries: StoredEntry[]): MatchSource {
  return {
    byFold: (f) => entries.filter((e) => !e.plate.includes('*') && foldKey(e.plate) === f),
    wildcards: () => entries.filter((e) => e.plate.includes('*')),
  };
}

describe('confusion table', () => {
  it.each([
    ['0', 'O', true],
    ['O', 'D', true],
    ['Q', '0', true],
    ['1', 'I', true],
    ['L', 'T', true],
    ['7', 'T', true],
    ['Z', '7', true],
    ['8', 'B', true],
    ['5', 'S', true],
    ['2', 'Z', true],
    ['6', 'G', true],
    ['4', 'A', true],
    ['U', 'V', true],
    ['1', '7', false],
    ['1', '2', false],
    ['I', 'Z', false],
    ['A', 'B', false],
    ['A', 'A', false],
    ['M', 'N', false],
  ])('%s ~ %s is %s', (a, b, want) => {
    expect(confusable(a, b)).toBe(want);
    expect(confusable(b, a)).toBe(want);
  });

  it('folds every legal substitution to the same key', () => {
    expect(foldKey('OIL8')).toBe(foldKey('0178'.replace('7', 'L')));
    expect(foldKey('ABC123')).toBe(foldKey('48C1Z3'));
    expect(foldKey('AB*12')).toContain('*');
  });

  it.each([
    ['ABC123', 'ABC123', 1, []],
    ['A8C123', 'ABC123', 1, [1]],
    ['A8C1Z3', 'ABC123', 1, null],
    ['A8C1Z3', 'ABC123', 2, [1, 4]],
    ['ABC12', 'ABC123', 3, null],
    ['XBC123', 'ABC123', 3, null],
    ['ABC173', 'ABC123', 1, null], // 7 and 2 are not look-alikes (only through Z)
    ['0BC123', 'OBC123', 0, null],
  ] as const)('lookalikeDiff(%s, %s, %i) = %j', (read, ent, n, want) => {
    expect(lookalikeDiff(read, ent, n)).toEqual(want);
  });

  it.each([
    ['ABC123', 'AB*123', 1, { subs: [], wild: [2] }],
    ['A8X123', 'AB*123', 1, { subs: [1], wild: [2] }],
    ['A8X1Z3', 'AB*123', 1, null],
    ['ABX12', 'AB*123', 1, null],
    ['QQC123', '**C123', 0, { subs: [], wild: [0, 1] }],
  ] as const)('wildcardDiff(%s, %s, %i)', (read, pat, n, want) => {
    expect(wildcardDiff(read, pat, n)).toEqual(want);
  });
});

describe('matchRead', () => {
  const opts = { maxSubs: 1, candidates: 5, now: 1_000 };
  const read = (plate: string, cands: string[] = [], state: string | null = null) => ({
    plate,
    candidates: [plate, ...cands].map((text) => ({ text, confidence: 0.5 })),
    state,
  });

  it.each([
    // name, entries, read, expected [entryPlate, approximate, substitutions, candidateIndex][]
    ['exact', [entry('ABC123')], read('ABC123'), [['ABC123', false, [], 0]]],
    ['no match', [entry('ABC123')], read('XYZ789'), []],
    ['look-alike, one sub', [entry('ABC123')], read('A8C123'), [['ABC123', true, [1], 0]]],
    ['look-alike, two subs over budget', [entry('ABC123')], read('A8C1Z3'), []],
    ['second candidate exact', [entry('ABC123')], read('A8C1Z3', ['ABC123']), [['ABC123', true, [], 1]]],
    ['wildcard', [entry('AB*123')], read('ABX123'), [['AB*123', true, [2], 0]]],
    ['expired never matches', [entry('ABC123', { expires: 1_000 })], read('ABC123'), []],
    ['not yet expired', [entry('ABC123', { expires: 1_001 })], read('ABC123'), [['ABC123', false, [], 0]]],
    ['state mismatch', [entry('ABC123', { state: 'CA' })], read('ABC123', [], 'NV'), []],
    [
      'state on one side only',
      [entry('ABC123', { state: 'CA' })],
      read('ABC123'),
      [['ABC123', false, [], 0]],
    ],
    ['same state', [entry('ABC123', { state: 'CA' })], read('ABC123', [], 'CA'), [['ABC123', false, [], 0]]],
    // the recognizer names US jurisdictions only: an Ontario plate it names Michigan is still a hit
    [
      'entry of a state the recognizer cannot name',
      [entry('ABC123', { state: 'ON' })],
      read('ABC123', [], 'MI'),
      [['ABC123', false, [], 0]],
    ],
    [
      'exact ranks before look-alike',
      [entry('0BC123', { priority: 1 }), entry('OBC123', { priority: 9 })],
      read('OBC123'),
      [
        ['OBC123', false, [], 0],
        ['0BC123', true, [0], 0],
      ],
    ],
  ] as const)('%s', (_name, entries, r, want) => {
    const got = matchRead(r, source([...entries]), opts).map((m) => [
      m.entryPlate,
      m.approximate,
      m.substitutions,
      m.candidateIndex,
    ]);
    expect(got).toEqual(want);
  });

  it('carries the entry fields into the hit', () => {
    const e = entry('ABC123', {
      list: 'SPECIAL',
      informational: true,
      shareable: false,
      caseNumber: null,
      xref: 'X9',
    });
    const [m] = matchRead(read('ABC123'), source([e]), opts);
    expect(m).toMatchObject({
      list: 'SPECIAL',
      listVersion: '7',
      informational: true,
      shareable: false,
      caseNumber: 'X9',
      reason: 'stolen',
    });
  });

  it('tries at most N candidates, deduplicated', () => {
    expect(candidateTexts(read('AB-C1', ['ABC1', 'XY', 'ZZ']), 2)).toEqual(['ABC1', 'XY']);
    expect(
      matchRead(read('QQQ', ['RRR', 'ABC123']), source([entry('ABC123')]), { ...opts, candidates: 2 }),
    ).toEqual([]);
  });
});
