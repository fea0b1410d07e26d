import { describe, expect, it } from 'vitest';
import { foldKey, lookalikeDiff } from '../../src/hotlist/confusion.ts';
import { matchRead, type MatchSource } from '../../src/hotlist/match.ts';
import {
  PLATE_INDEX_FORMAT,
  PlateIndex,
  PlateIndexBuilder,
  packPlate,
  unpackPlate,
} from '../../src/hotlist/plate-index.ts';
import { storedEntry } from '../helpers/hotlist-fixtures.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Dense plates over look-alike-heavy glyphs, so fold keys collide a lot. */
function plates(n: number, seed: number, glyphs = '0ODQ1ILT7Z2BS8A4UV3C'): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const len = 2 + Math.floor(r() * 7);
    let p = '';
    for (let i = 0; i < len; i++) p += glyphs[Math.floor(r() * glyphs.length)];
    return p;
  });
}

function build(ps: readonly string[]): PlateIndex {
  const b = new PlateIndexBuilder(10);
  for (const p of ps) b.add(p);
  return b.finish();
}

describe('plate index: packing', () => {
  it.each(['AB', '1ABC234', 'ZZZZZZZZ', '00000000', 'QD0O', '9X'])('packs and unpacks %s', (p) => {
    const [hi, lo] = packPlate(p)!;
    expect(unpackPlate(hi, lo)).toBe(p);
  });

  it.each(['', 'ABCDEFGHI', 'AB*1', 'ab12', 'AB-1'])('refuses %j', (p) => {
    expect(packPlate(p)).toBeNull();
  });

  it('orders packed numbers by fold key first', () => {
    const ps = plates(2000, 3);
    const idx = build(ps);
    const back = Array.from({ length: idx.size }, (_, i) => {
      const w = new Uint32Array(
        idx.bytes().buffer.slice(i * 8 + idx.bytes().byteOffset, i * 8 + 8 + idx.bytes().byteOffset),
      );
      return unpackPlate(w[1]!, w[0]!);
    });
    expect(back.sort()).toEqual([...ps].sort());
    expect(PLATE_INDEX_FORMAT).toMatch(/^pi1:/);
  });
});

describe('plate index: look-ups agree with lookalikeDiff', () => {
  const list = plates(3000, 11);
  const idx = build([...list, 'AB*12', 'A**BC']);
  const reads = [...plates(3000, 12), ...list.slice(0, 500)];

  it.each([0, 1, 2, 3])('near(text, %i) equals a brute-force scan', (maxSubs) => {
    let hits = 0;
    for (const r of reads) {
      const want = list.some((e) => lookalikeDiff(r, e, maxSubs) !== null);
      if (want) hits++;
      expect(idx.near(r, maxSubs), `${r} maxSubs ${maxSubs}`).toBe(want);
    }
    // The table must exercise both answers.
    expect(hits).toBeGreaterThan(500);
    expect(hits).toBeLessThan(reads.length);
  });

  it('matches() lists exactly the distinct plates within maxSubs', () => {
    for (const r of reads.slice(0, 1500)) {
      const want = [...new Set(list.filter((e) => lookalikeDiff(r, e, 1) !== null))].sort();
      expect(idx.matches(r, 1).sort(), r).toEqual(want);
    }
  });

  it('hasFold is true exactly when some plate shares the fold key', () => {
    const folds = new Set(list.map(foldKey));
    for (const r of reads) expect(idx.hasFold(foldKey(r))).toBe(folds.has(foldKey(r)));
  });

  it('skips wildcard plates and survives a round trip through unaligned bytes', () => {
    expect(idx.size).toBe(list.length);
    const bytes = idx.bytes();
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const copy = PlateIndex.fromBytes(shifted);
    expect(copy.size).toBe(idx.size);
    for (const r of reads.slice(0, 500)) expect(copy.near(r, 1)).toBe(idx.near(r, 1));
    const more = copy.withAdded(['XYZ9', 'AB*9']);
    expect(more.size).toBe(idx.size + 1);
    expect(more.near('XYZ9', 0)).toBe(true);
    expect(copy.near('XYZ9', 0)).toBe(false);
    expect(PlateIndex.empty().near('ABC', 1)).toBe(false);
  });
});

describe('matchRead with an index-gated source', () => {
  it('gives the same matches as the fold-key source, without probing on misses', () => {
    const entries = plates(800, 21).map((plate, i) =>
      storedEntry(plate, { priority: 1 + (i % 9), caseNumber: `C${i}`, reason: null }),
    );
    const idx = build(entries.map((e) => e.plate));
    let probes = 0;
    const byFold = (f: string) => entries.filter((e) => foldKey(e.plate) === f);
    const plain: MatchSource = { byFold, wildcards: () => [] };
    const gated: MatchSource = {
      byFold,
      near: (t, k) => {
        if (!idx.near(t, k)) return [];
        probes++;
        return byFold(foldKey(t));
      },
      wildcards: () => [],
    };
    const opts = { maxSubs: 1, candidates: 3, now: 0 };
    let matched = 0;
    for (const r of plates(2000, 22)) {
      const read = { plate: r, candidates: [{ text: r }] };
      const want = matchRead(read, plain, opts);
      expect(matchRead(read, gated, opts)).toEqual(want);
      if (want.length > 0) matched++;
    }
    expect(matched).toBeGreaterThan(0);
    expect(probes).toBe(matched);
  });
});
