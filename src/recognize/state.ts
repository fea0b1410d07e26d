/**
 * Telling the issuing state from the words read on a plate (its name, legend, slogan or web
 * address), and rescoring readings by that state's serial series. Pure.
 */
import { seriesMisfits, US_JURISDICTIONS } from '../domain/us-plates.ts';

export interface StateGuess {
  /** USPS code. */
  code: string;
  /** 0..1: how far the best state's evidence stands above the next state's. */
  confidence: number;
}

/** A word to look for: letters and digits only, upper case. */
interface Needle {
  code: string;
  text: string;
}

const alnum = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

/**
 * Words shorter than this are not looked for: too many 3-letter runs appear in other text.
 * (State names of 4 letters, IOWA, OHIO and UTAH, are exactly 4.)
 */
const MIN_WORD = 4;

/**
 * Single words and runs of neighbouring words of a multi-word legend count on their own from this
 * length (legends wrap and get cut, and a detector reads a long slogan as several lines).
 */
const MIN_SPLIT_WORD = 6;

function buildNeedles(): Needle[] {
  const whole = US_JURISDICTIONS.flatMap((j) => j.words.map((w) => ({ code: j.code, text: alnum(w) })));
  // the words and word runs of multi-word legends that only one state prints (in any of its words)
  const parts: Needle[] = [];
  for (const j of US_JURISDICTIONS) {
    for (const w of j.words) {
      const words = w.split(/[\s.,&-]+/).map(alnum);
      // each word, and each run of neighbouring words short of the whole legend
      for (let i = 0; i < words.length; i++) {
        for (let e = i + 1; e <= words.length; e++) {
          const text = words.slice(i, e).join('');
          if (e - i < words.length && text.length >= MIN_SPLIT_WORD) parts.push({ code: j.code, text });
        }
      }
    }
  }
  const split = parts.filter((p) => whole.every((w) => w.code === p.code || !w.text.includes(p.text)));
  const seen = new Set<string>();
  return [...whole, ...split].filter((n) => {
    const k = `${n.code}|${n.text}`;
    if (n.text.length < MIN_WORD || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const NEEDLES: readonly Needle[] = buildNeedles();

/**
 * Glyph pairs a text reader swaps on small legend type (half an edit): I/L/1/J, O/0/D/Q/C, E/F,
 * U/V, R/P.
 */
const LOOKALIKE = new Set(
  [
    'IL',
    'I1',
    'L1',
    'IJ',
    'IT',
    'O0',
    'OD',
    'OQ',
    'OC',
    'D0',
    'EF',
    'UV',
    'RP',
    'MN',
    'HN',
    'S5',
    'B8',
    'G6',
    'Z2',
  ].flatMap((p) => [p, p[1]! + p[0]!]),
);

/** LOOKALIKE as a table of ASCII code pairs, for the alignment's inner loop. */
const LOOKALIKE_CODES = new Uint8Array(128 * 128);
for (const p of LOOKALIKE) LOOKALIKE_CODES[p.charCodeAt(0) * 128 + p.charCodeAt(1)] = 1;
const isLookalike = (a: number, b: number) => a < 128 && b < 128 && LOOKALIKE_CODES[a * 128 + b] === 1;

/**
 * The fewest edits that turn `needle` into some substring of `hay` (free start and end in the
 * haystack: semi-global alignment).
 */
export function substringDistance(needle: string, hay: string): number {
  const n = needle.length;
  // two rows of the edit table, swapped per hay letter (no allocation per column)
  let prev = new Float64Array(n + 1);
  let cur = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) prev[i] = i;
  let best = prev[n]!;
  for (let j = 1; j <= hay.length; j++) {
    const b = hay.charCodeAt(j - 1);
    cur[0] = 0;
    for (let i = 1; i <= n; i++) {
      const a = needle.charCodeAt(i - 1);
      const cost = a === b ? 0 : isLookalike(a, b) ? 0.5 : 1;
      cur[i] = Math.min(prev[i - 1]! + cost, prev[i]! + 1, cur[i - 1]! + 1);
    }
    best = Math.min(best, cur[n]!);
    [prev, cur] = [cur, prev];
  }
  return best;
}

/** Edits a word of `n` letters may need and still count: one look-alike up to 5 letters, then 1 per 5 letters. */
function allowedEdits(n: number): number {
  return n <= 5 ? 0.5 : n / 5;
}

/**
 * Evidence per state from lines of text read on a plate: for each state, the most letters of
 * one of its words found (within allowedEdits) in one line, less the edits it took.
 */
export function stateEvidence(lines: readonly string[]): Map<string, number> {
  const ev = new Map<string, number>();
  const texts = lines.map(alnum).filter((t) => t.length >= MIN_WORD - 1);
  for (const t of texts) {
    for (const nd of NEEDLES) {
      if (t.length < nd.text.length - allowedEdits(nd.text.length)) continue;
      const d = substringDistance(nd.text, t);
      if (d > allowedEdits(nd.text.length)) continue;
      const e = nd.text.length - 2 * d;
      if (e <= 0) continue;
      if (e > (ev.get(nd.code) ?? 0)) ev.set(nd.code, e);
    }
  }
  return ev;
}

/** A text line read on a plate, where it lies. */
export interface PlacedLine {
  text: string;
  box: { x: number; y: number; w: number; h: number };
}

/**
 * Two lines read as one word when they sit side by side: at least this share of the shorter one's
 * height in common, and a gap between them of at most this many of its heights. A text detector
 * cuts a legend in script or spaced capitals where its letters stand apart (`CALIP` + `FORNA`).
 */
const JOIN_OVERLAP = 0.5;
const JOIN_GAP = 1;

/** True when `b` continues `a` to the right on the same row (JOIN_OVERLAP, JOIN_GAP). */
function continues(a: PlacedLine, b: PlacedLine): boolean {
  const h = Math.min(a.box.h, b.box.h);
  const common = Math.min(a.box.y + a.box.h, b.box.y + b.box.h) - Math.max(a.box.y, b.box.y);
  const gap = b.box.x - (a.box.x + a.box.w);
  return common >= JOIN_OVERLAP * h && b.box.x > a.box.x + a.box.w / 2 && gap <= JOIN_GAP * h;
}

/**
 * The rows of lines side by side, each joined left to right into one text: a legend the detector
 * cut where its letters stand apart is then read whole as well (`CALIP` + `FORNA`, `GREEN` +
 * `MOUNTAIN` + `STATE`). Each line continues into its nearest neighbour on the right; only rows of
 * two lines or more. Pure.
 */
export function joinedLines(lines: readonly PlacedLine[]): string[] {
  const live = lines.filter((l) => l.text.length > 0);
  const next = live.map((a) => {
    let best = -1;
    live.forEach((b, j) => {
      if (a !== b && continues(a, b) && (best < 0 || b.box.x < live[best]!.box.x)) best = j;
    });
    return best;
  });
  const out: string[] = [];
  live.forEach((_, i) => {
    if (next.includes(i) || next[i]! < 0) return; // not the start of a row of two or more
    // each step moves right (continues), so the walk ends
    let text = '';
    for (let k = i; k >= 0; k = next[k]!) text += live[k]!.text;
    out.push(text);
  });
  return out;
}

/** The state told by lines read on a plate: each line, and the rows of lines side by side joined. */
export function stateOfLines(lines: readonly PlacedLine[]): StateGuess | null {
  return guessState(stateEvidence([...lines.map((l) => l.text), ...joinedLines(lines)]));
}

/**
 * Evidence margin (letters) at which confidence reaches 1 - 1/e: a state name of 8 letters
 * read cleanly, with no rival, gives ~0.93.
 */
const MARGIN_SCALE = 3;

/** The state the evidence points to, or null when none; confidence grows with the margin over the runner-up. */
export function guessState(ev: ReadonlyMap<string, number>): StateGuess | null {
  const ranked = [...ev].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top = ranked[0];
  if (!top) return null;
  const margin = top[1] - (ranked[1]?.[1] ?? 0);
  return { code: top[0], confidence: Math.round((1 - Math.exp(-margin / MARGIN_SCALE)) * 1000) / 1000 };
}

/**
 * Prior weight of a reading that misfits the state's standard series in one position, or in its
 * length (specialty, vanity and older series exist everywhere, and the series list is not
 * complete); two or more misfits weigh OFF_SERIES². Soft on purpose: strong evidence still wins.
 */
export const OFF_SERIES = 0.3;

/** Prior weight of a reading given the plate's state, blended with 1 by the state's confidence. */
export function statePrior(text: string, state: StateGuess | null): number {
  if (!state) return 1;
  const m = seriesMisfits(text, state.code);
  const fit = m === 0 ? 1 : m === 1 || m === Number.POSITIVE_INFINITY ? OFF_SERIES : OFF_SERIES * OFF_SERIES;
  return 1 - state.confidence + state.confidence * fit;
}

/** Ranked readings reordered by the state's series prior (the score only; `prob` stays the read's). */
export function applyState<T extends { text: string; score: number }>(
  ranked: readonly T[],
  state: StateGuess | null,
): T[] {
  if (!state) return [...ranked];
  return ranked
    .map((r) => ({ ...r, score: r.score * statePrior(r.text, state) }))
    .sort((a, b) => b.score - a.score);
}
