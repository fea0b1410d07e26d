/**
 * The OCR confusion table for plates, and the fold key built from it. Pure.
 *
 * Each group lists glyphs that OCR confuses with each other (every pair within a group is a
 * legal look-alike substitution). Groups overlap (T is both a 1/I/L and a 7/Z look-alike), so the
 * *fold key* uses the connected components of the groups: two strings that differ only by legal
 * substitutions always fold to the same key. The fold is coarser than the table (1 and 2 share a
 * component through T/7/Z), so every pair found through the key is checked against the table.
 */
export const CONFUSION_GROUPS: readonly string[] = [
  '0ODQ',
  '1ILT',
  '7TZ',
  '8B',
  '5S',
  '2Z',
  '6G',
  '4A',
  'UV',
];

const PAIRS = new Set<string>();
const FOLD = new Map<string, string>();

function build(): void {
  const parent = new Map<string, string>();
  const find = (c: string): string => {
    let p = parent.get(c) ?? c;
    while (p !== (parent.get(p) ?? p)) p = parent.get(p) ?? p;
    return p;
  };
  for (const g of CONFUSION_GROUPS) {
    for (const a of g) {
      for (const b of g) if (a !== b) PAIRS.add(a + b);
      const ra = find(a);
      const rb = find(g[0]!);
      if (ra !== rb) parent.set(ra, rb);
    }
  }
  // The representative is the smallest glyph of the component, so keys are stable and readable.
  const comps = new Map<string, string[]>();
  for (const g of CONFUSION_GROUPS) {
    for (const c of g) {
      const r = find(c);
      const list = comps.get(r) ?? [];
      if (!list.includes(c)) list.push(c);
      comps.set(r, list);
    }
  }
  for (const members of comps.values()) {
    const rep = [...members].sort()[0]!;
    for (const c of members) FOLD.set(c, rep);
  }
}
build();

/** True when OCR may read `a` for `b` (or the reverse). Equal glyphs are not a substitution. */
export function confusable(a: string, b: string): boolean {
  return a !== b && PAIRS.has(a + b);
}

/** The look-alike fold key: every glyph replaced by its component's representative. `*` is kept. */
export function foldKey(text: string): string {
  let out = '';
  for (const ch of text) out += FOLD.get(ch) ?? ch;
  return out;
}

/**
 * Positions where `read` differs from `entry` through legal substitutions only, or null when the
 * two differ in length, differ by a glyph that is not a look-alike, or need more than `maxSubs`.
 * An identical pair gives [].
 */
export function lookalikeDiff(read: string, entry: string, maxSubs: number): number[] | null {
  if (read.length !== entry.length) return null;
  const subs: number[] = [];
  for (let i = 0; i < read.length; i++) {
    const a = read[i]!;
    const b = entry[i]!;
    if (a === b) continue;
    if (!confusable(a, b) || subs.length >= maxSubs) return null;
    subs.push(i);
  }
  return subs;
}

/**
 * Matches `read` against a wildcard entry (`*` = exactly one unknown glyph). Other positions
 * must be equal or legal look-alikes within `maxSubs`. Returns the look-alike positions and the
 * wildcard positions, or null.
 */
export function wildcardDiff(
  read: string,
  pattern: string,
  maxSubs: number,
): { subs: number[]; wild: number[] } | null {
  if (read.length !== pattern.length) return null;
  const subs: number[] = [];
  const wild: number[] = [];
  for (let i = 0; i < read.length; i++) {
    const a = read[i]!;
    const b = pattern[i]!;
    if (b === '*') {
      wild.push(i);
      continue;
    }
    if (a === b) continue;
    if (!confusable(a, b) || subs.length >= maxSubs) return null;
    subs.push(i);
  }
  return { subs, wild };
}
