/** Pure plate-level rules: plausibility, format priors, merging candidates from several crops. */
import { foldLookalikes, formatPrior, framePlatePrior } from '../domain/plate.ts';
import { patternMisfits, US_JURISDICTIONS } from '../domain/us-plates.ts';
import type { Box } from '../domain/types.ts';
import type { Scored } from './ctc.ts';

/**
 * A plate read on a frame must be 4-8 characters of A-Z0-9 and not a word printed around the
 * registration (look-alikes folded: `0REGON` is OREGON). Texts without a digit are kept (vanity
 * plates such as FZRULZ have none; dropping them missed those plates entirely) but rank after
 * mixed texts (framePlatePrior), since words on signs and badges are letters only.
 */
export function isPlausibleText(text: string): boolean {
  return /^[A-Z0-9]{4,8}$/.test(text) && !FOLDED_PLATE_WORDS.has(foldLookalikes(text));
}

/**
 * Words printed on US plates around the registration, never a registration on their own as read
 * here: state names (spaces dropped; 4-8 letters fit the plausible length) and common legends.
 */
export const PLATE_WORDS: ReadonlySet<string> = new Set([
  ...['ALABAMA', 'ALASKA', 'ARIZONA', 'ARKANSAS', 'COLORADO', 'DELAWARE', 'FLORIDA', 'GEORGIA'],
  ...['HAWAII', 'IDAHO', 'ILLINOIS', 'INDIANA', 'IOWA', 'KANSAS', 'KENTUCKY', 'MAINE'],
  ...['MARYLAND', 'MICHIGAN', 'MISSOURI', 'MONTANA', 'NEBRASKA', 'NEVADA', 'NEWYORK', 'OHIO'],
  ...['OKLAHOMA', 'OREGON', 'TEXAS', 'UTAH', 'VERMONT', 'VIRGINIA', 'WYOMING'],
  ...['COUNTY', 'DEALER', 'EXEMPT', 'TRAILER', 'TRUCK', 'USA', 'GOVT', 'OFFICIAL'],
]);
/** The plate words with look-alikes folded: a legend read `0REGON` or `1DAH0` is still a legend. */
const FOLDED_PLATE_WORDS: ReadonlySet<string> = new Set([...PLATE_WORDS].map(foldLookalikes));

/**
 * Drops letters-only reads stacked right above or below another plate read (the state name or
 * legend of that plate): they overlap it by half its width and sit within 1.5 line heights. With
 * scores, only a read that scores at least as well can drop one: a legend misread with a digit
 * (`GREAT LAKES` as `NATLAN1`) must not drop the vanity registration above it.
 */
export function dropStackedWords<T extends { text: string; box: Box; score?: number }>(
  plates: readonly T[],
): T[] {
  const mixed = plates.filter((p) => /[0-9]/.test(p.text));
  return plates.filter((p) => {
    if (/[0-9]/.test(p.text)) return true;
    return !mixed.some((m) => stackedOn(p.box, m.box) && (m.score ?? 1) >= (p.score ?? 0));
  });
}

/**
 * True when the text line `p` sits right above or below the line `m`, as a plate's legend sits
 * on its registration: overlapping half the narrower width and less than `lines` of the taller
 * line's height apart (1.5 by default: a legend's reach). With `apart`, only lines with no rows in
 * common count (not two boxes of one line).
 */
export function stackedOn(p: Box, m: Box, lines = 1.5, apart = false): boolean {
  const overlap = Math.min(p.x + p.w, m.x + m.w) - Math.max(p.x, m.x);
  const h = Math.max(p.h, m.h);
  const gap = Math.max(p.y, m.y) - Math.min(p.y + p.h, m.y + m.h);
  return overlap >= 0.5 * Math.min(p.w, m.w) && gap < lines * h && (!apart || gap >= 0);
}

/**
 * A US plate carries one line of large characters, its registration; its legends, slogans and
 * stacked letters are at most about half as tall. Text in lines of like size (a sign's `PRIVATE`
 * over `PROPERTY`, a van's name over its phone number, a dealer's name over a model badge) is
 * lettering, not a registration.
 */
export const LINE_HEIGHT_SHARE = 0.7;

/**
 * How far apart (in line heights) lines of lettering are set: a sign's lines are at most about
 * half a line apart, where a badge or a dealer's name on the car sits farther from a plate's
 * characters (the plate's margin and its legend between). On the project's rendered street
 * scenes, 1.5 line heights (the legend's reach, stackedOn) also took 5 of 13 digits-only plates
 * read under a badge for lettering, 0.5 one (models/README.md).
 */
export const LINE_GAP_SHARE = 0.5;

/**
 * True when another text line at least LINE_HEIGHT_SHARE of `box`'s height sits right above or
 * below it (overlapping half the narrower width, no rows in common, less than LINE_GAP_SHARE of
 * the taller line's height apart): `box` is one line of lettering in lines.
 */
export function inLinesOfLettering(box: Box, others: readonly Box[]): boolean {
  return others.some((o) => o.h >= LINE_HEIGHT_SHARE * box.h && stackedOn(o, box, LINE_GAP_SHARE, true));
}

/**
 * A text box that could hold a plate's characters: wider than tall, not a long line of text.
 * US plate characters span about 2-6× their height; margins for tilt and unclip.
 */
export function isPlausibleTextBox(box: Box, minHeight = 6): boolean {
  if (box.h < minHeight) return false;
  const aspect = box.w / box.h;
  return aspect >= 1.2 && aspect <= 9;
}

/**
 * Weight of I, O and Q in the decoder: many states never issue them on standard plates (they are
 * read as 1 and 0), so the decoder needs more evidence to emit them.
 */
export const RARE_LETTER_WEIGHT = 0.3;
/** O is rarer still: where a state issues it at all, plates and records mostly write it as 0. */
export const O_WEIGHT = 0.1;
const RARE_LETTERS = 'IOQ';

/** Per-class weights for maskProbs, in PLATE_ALPHABET order. */
export function classWeights(alphabet: string): number[] {
  return [...alphabet].map((c) => (c === 'O' ? O_WEIGHT : RARE_LETTERS.includes(c) ? RARE_LETTER_WEIGHT : 1));
}

export { formatPrior, framePlatePrior } from '../domain/plate.ts';

/**
 * How likely a text region is a plate from where it lies on the frame: text touching the frame's
 * border is an overlay (camera timestamps and names sit in the corners) or a plate cut off by the
 * edge, whose read is partial either way. `box` is the region after unclipping, so text within
 * about a character height of the border (plus 1% of the frame) touches it.
 */
export function framePositionPrior(box: Box, width: number, height: number): number {
  const mx = Math.max(1, 0.01 * width);
  const my = Math.max(1, 0.01 * height);
  const touches = box.x <= mx || box.y <= my || box.x + box.w >= width - mx || box.y + box.h >= height - my;
  return touches ? 0.2 : 1;
}

/**
 * A first-pass read shorter than SURE_MIN_LENGTH or longer than SURE_MAX_LENGTH is sent on even
 * when confident: the screen reads one crop at a coarse resolution, and its confident mistakes
 * are mostly reads cut short or run past the plate's edge (`YG9X2`, `V921`, `4ASC7399`: a glyph
 * of the plate's frame or legend taken for a character); US standard plates carry 6-7 characters,
 * so any other read only costs the full pipeline's time when it is right.
 */
export const SURE_MIN_LENGTH = 6;
export const SURE_MAX_LENGTH = 7;

/**
 * A read the screen may take as it is: confident (at least `below`), letters and digits mixed,
 * 6-7 characters and (on a frame) away from the border.
 */
export function looksSure(
  text: string,
  confidence: number,
  below: number,
  box: Box,
  frame?: { width: number; height: number },
): boolean {
  if (confidence < below || framePlatePrior(text) < 1) return false;
  if (text.length < SURE_MIN_LENGTH || text.length > SURE_MAX_LENGTH) return false;
  return !frame || framePositionPrior(box, frame.width, frame.height) === 1;
}

/**
 * Merges candidate lists read from several crops of the same plate: a text's score is its mean
 * probability over the lists (absent = 0), so texts that every crop agrees on rise.
 */
export function mergeCandidates(lists: readonly (readonly Scored[])[]): Scored[] {
  const sum = new Map<string, number>();
  for (const list of lists) for (const s of list) sum.set(s.text, (sum.get(s.text) ?? 0) + s.prob);
  const n = Math.max(1, lists.length);
  return [...sum].map(([text, p]) => ({ text, prob: p / n })).sort((a, b) => b.prob - a.prob);
}

export interface Ranked extends Scored {
  /** prob × format prior: the ranking key. `prob` stays the reading's confidence. */
  score: number;
}

/** Ranks candidates by probability × format prior; drops texts failing `keep`. */
export function rescore(cands: readonly Scored[], keep: (t: string) => boolean = () => true): Ranked[] {
  return cands
    .filter((c) => keep(c.text))
    .map((c) => ({ text: c.text, prob: c.prob, score: c.prob * formatPrior(c.text) }))
    .sort((a, b) => b.score - a.score);
}

/**
 * Weight of an alternate reading that fits no jurisdiction's standard serial series
 * (src/domain/us-plates.ts) when the alternates are ordered: a vanity or specialty plate, a few in
 * a hundred of the plates on the road, or a misread (an extra glyph at an edge, a letter read as a
 * digit).
 */
export const OUTSIDE_SERIES_WEIGHT = 0.5;

const SERIES_PATTERNS: readonly string[] = [...new Set(US_JURISDICTIONS.flatMap((j) => j.patterns))];

/** True when `text` fits some jurisdiction's standard series exactly (patternMisfits 0). */
export function fitsAnyStandardSeries(text: string): boolean {
  return SERIES_PATTERNS.some((p) => patternMisfits(text, p) === 0);
}

/**
 * The best reading first, as ranked; the alternates after it ordered by score with those that
 * fit no standard series weighed OUTSIDE_SERIES_WEIGHT: the alternates an officer sees and the
 * hot list searches first are the ones that could be a plate of some state. The best reading
 * itself is never moved (a clearly read vanity plate stays the read).
 */
export function orderAlternates<T extends { text: string; score: number }>(ranked: readonly T[]): T[] {
  const [top, ...rest] = ranked;
  if (!top) return [];
  const weighed = rest.map((r) => ({
    r,
    k: r.score * (fitsAnyStandardSeries(r.text) ? 1 : OUTSIDE_SERIES_WEIGHT),
  }));
  return [top, ...weighed.sort((a, b) => b.k - a.k).map((w) => w.r)];
}
