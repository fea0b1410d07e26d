/** Plate text helpers: pure functions. */

/** Upper-case A-Z0-9 only: spaces, dashes, dots and anything else removed. */
export function normalizePlate(raw: string): string {
  return raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** A plausible US plate string: 2-8 characters. Readings outside this are dropped. */
export function isPlausiblePlate(text: string, minLen = 2, maxLen = 8): boolean {
  return text.length >= minLen && text.length <= maxLen && /^[A-Z0-9]+$/.test(text);
}

/**
 * Groups of glyphs that OCR confuses on plates. Each character maps to one canonical
 * representative, so two plates that differ only by look-alikes fold to the same key.
 */
const LOOKALIKE_GROUPS = ['0ODQ', '1IL', 'T7', '8B', '5S', '2Z', '6G', '4A', 'UV'] as const;
const FOLD = new Map<string, string>();
for (const group of LOOKALIKE_GROUPS) {
  for (const ch of group) FOLD.set(ch, group[0]!);
}

/** Folds look-alike glyphs to one representative (O→0, I→1, B→8, …). */
export function foldLookalikes(text: string): string {
  let out = '';
  for (const ch of text) out += FOLD.get(ch) ?? ch;
  return out;
}

/** True when two characters are the same or look-alikes of each other. */
export function isLookalike(a: string, b: string): boolean {
  if (a === b) return true;
  const fa = FOLD.get(a);
  return fa !== undefined && fa === FOLD.get(b);
}

/** Levenshtein edit distance. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** 1 for the same plate up to look-alike glyphs (O/0, B/8…), falling with each edit; 0 for nothing in common. */
export function textSimilarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  if (n === 0) return 0;
  return 1 - editDistance(foldLookalikes(a), foldLookalikes(b)) / n;
}

/**
 * Prior weight of a plate text from general US format knowledge (never from the evaluation
 * images): most standard plates have 5-7 characters and mix letters and digits.
 */
export function formatPrior(text: string): number {
  const w = lengthPrior(text.length);
  return /[0-9]/.test(text) ? w : w * 0.3;
}

/** The length part of formatPrior: 5-7 characters 1, 4 or 8 0.4, any other length 0.1. */
export function lengthPrior(n: number): number {
  return n >= 5 && n <= 7 ? 1 : n === 4 || n === 8 ? 0.4 : 0.1;
}

/**
 * How likely a text read on a frame is a plate rather than other text, for ordering the plates of
 * a frame: digits-only texts are mostly timestamps, overlays and phone numbers, letters-only
 * texts mostly words on signs and badges (few US standard plates are either), so both rank after
 * texts that mix letters and digits. A round O reads as the digit 0 (the plates' own convention),
 * so letters whose only digits are zeros are a word too (`0NLY` painted on the road, `PR0CHEM` on a
 * van): a standard serial whose digits are all 0 is one in thousands.
 */
export function framePlatePrior(text: string): number {
  if (DATE_LIKE.test(text)) return 0.05;
  return /[A-Z]/.test(text) && /[1-9]/.test(text) ? 1 : 0.2;
}

/**
 * A text shaped like a standard serial: letters and digits mixed (framePlatePrior 1), 5-7
 * characters. Anything else read on a frame (a word, a number, a badge's `RAV4`) may still be a
 * vanity, specialty or all-digit plate, but the text alone does not say so.
 */
export function serialShaped(text: string): boolean {
  return text.length >= 5 && text.length <= 7 && framePlatePrior(text) === 1;
}

/**
 * A date stamp burned into the video (`20140428`: eight digits that make a valid YYYYMMDD date of
 * 1900-2099), as surveillance and dash cameras print one in a corner. No US series issues
 * eight-digit serials, so such a text is never a plate, however surely it is read.
 */
export function isDateStamp(text: string): boolean {
  return /^(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$/.test(text);
}

/**
 * Digits that read as a year or a date (19xx/20xx, then more digits): registration stickers,
 * timestamps burned into the video, dealer frames. A digits-only plate seldom starts with a year.
 */
const DATE_LIKE = /^(19|20)[0-9]{2,6}$/;
