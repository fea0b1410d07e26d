/**
 * How full the hot lists are around a text: a plate's shape is its length and which positions
 * are digits (`7ABC123` and `8XYZ999` share one). A list of 5,000,000 plates holds a few in a
 * thousand of the texts of a common 7-character shape but can hold most of a small state's short
 * digit series, so a misread of that shape is far more likely to land on some entry. The alert
 * rule asks a "possible" entry to be more probable than that chance (LEVEL_RULE.possibleOdds).
 * Pure.
 */

/** Letters a standard series uses: most states skip I, O and Q. */
const SERIES_LETTERS = 23;
const MAX_LEN = 8;

/** The shape of a text of 1-8 of A-Z 0-9: length · 256 + a bit per digit position; null otherwise. */
export function shapeOf(text: string): number | null {
  const len = text.length;
  if (len === 0 || len > MAX_LEN) return null;
  let mask = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) mask |= 1 << i;
    else if (c < 65 || c > 90) return null;
  }
  return len * 256 + mask;
}

/** How many texts a shape holds. */
export function shapeSpace(shape: number): number {
  const len = shape >> 8;
  let digits = 0;
  for (let m = shape & 0xff; m; m &= m - 1) digits++;
  return 10 ** digits * SERIES_LETTERS ** (len - digits);
}

/** Entries per shape, summed over lists. */
export type ShapeCounts = ReadonlyMap<number, number>;

export function addShapeCounts(into: Map<number, number>, from: ShapeCounts): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

/**
 * The share of the texts of `text`'s shape that are on the lists (at most 1): the chance that a
 * misread of that shape is listed. 0 for texts no plate has the shape of (wildcards included).
 */
export function shapeDensity(counts: ShapeCounts, text: string): number {
  const s = shapeOf(text);
  if (s === null) return 0;
  return Math.min(1, (counts.get(s) ?? 0) / shapeSpace(s));
}
