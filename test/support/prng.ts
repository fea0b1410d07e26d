/**
 * A seeded pseudo-random generator (mulberry32) and the pickers the fuzz tests share. Seeded, so a
 * failing case is reproduced by its seed and index alone; no dependency needed for 32 bits of state.
 */
import { mulberry32 } from '../../scripts/prng.ts';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  bool(p?: number): boolean;
}

export function rng(seed: number): Rng {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: (xs) => xs[int(0, xs.length - 1)]!,
    bool: (p = 0.5) => next() < p,
  };
}

/** Numbers and text that break naive parsers: extremes, signs, exponents, empties, junk. */
export const NASTY_FIELDS: readonly string[] = [
  '',
  '0',
  '-0',
  '-1',
  '1',
  '00',
  '01',
  '31',
  '32',
  '99',
  '3000000',
  '275761',
  '-271821',
  '9999999999999999999999999999999',
  `1${'0'.repeat(400)}`,
  '0.0000000001',
  '1e308',
  '1e999',
  '-1e999',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x1F',
  '.5',
  '5.',
  '+7',
  '１２',
  '12:00',
  'A',
  'V',
  'N',
  'S',
  'E',
  'W',
  ' ',
  '\u0000',
  '__proto__',
  'constructor',
  '{}',
  '[]',
  'null',
];

/** A random printable ASCII string (what a noisy serial line or a broken broker client sends). */
export function junk(r: Rng, maxLen: number): string {
  let s = '';
  const n = r.int(0, maxLen);
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(0x20, 0x7e));
  return s;
}

/** A field: a nasty value, a random number of any size, or junk. */
export function nastyField(r: Rng): string {
  switch (r.int(0, 3)) {
    case 0:
      return r.pick(NASTY_FIELDS);
    case 1:
      return String((r.next() - 0.5) * 10 ** r.int(0, 30));
    case 2:
      return String(r.int(0, 10 ** r.int(1, 9)));
    default:
      return junk(r, 12).replace(/[,*$!]/g, '');
  }
}
