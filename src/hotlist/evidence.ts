/**
 * Hits by evidence: a hot-list entry found for a read (by look-alikes, candidates or wildcards) is
 * scored against the recognizer's own output — the probability its CTC output gives the entry's
 * text, over every frame and crop of the vehicle — and raised only when that probability stands
 * up against the best competing text. Pure.
 */
import { formatPrior, framePlatePrior } from '../domain/plate.ts';
import type { Candidate, CtcEvidence, HitLevel, HitMatch } from '../domain/types.ts';

/**
 * CTC probability of a text on one crop. Injected so this module does not import the recognize
 * stage (stages never import each other); the root passes ctcLogProb.
 */
export type CtcScorer = (ev: CtcEvidence, text: string) => number;

/** The evidence one read carries: its crops' CTC outputs, or only its candidate list. */
export interface ReadEvidence {
  /** Crops' CTC outputs, grouped per frame. Empty: fall back to the candidates. */
  frames: readonly (readonly CtcEvidence[])[];
  candidates: readonly Candidate[];
}

/**
 * The probability of `text` for the read: per frame, the mean over its crops of the text's CTC
 * probability, each crop weighed by how far it reads this plate at all (cropSupport); over frames,
 * the mean (as the tracker votes). Without CTC outputs, the candidate's own confidence (0 when it
 * is not a candidate).
 */
export function textProbability(ev: ReadEvidence, text: string, score: CtcScorer): number {
  const frames = ev.frames.filter((f) => f.length > 0);
  if (frames.length === 0) return ev.candidates.find((c) => c.text === text)?.confidence ?? 0;
  let sum = 0;
  for (const crops of frames) {
    const w = cropSupport(crops, ev.candidates, score);
    let s = 0;
    let ws = 0;
    for (let i = 0; i < crops.length; i++) {
      s += w[i]! * Math.exp(score(crops[i]!, text));
      ws += w[i]!;
    }
    sum += s / ws;
  }
  return sum / frames.length;
}

const SUPPORT = new WeakMap<readonly CtcEvidence[], { candidates: readonly Candidate[]; w: number[] }>();

/**
 * Each crop's weight in its frame's mean: the probability it gives the read's likeliest candidate
 * text. A crop that shows the plate gives one of the candidates most of its mass; one that shows
 * something else (the plate-shaped window around a distant plate, where the reader takes the frame
 * or the legend for characters) gives every candidate next to nothing, and then counts next to
 * nothing, where a plain mean had it pull every text's probability down by its share (a thorough
 * read's two region crops at 0.85 and 0.91 and its window's at 0.00 and 0.03 made 0.45). Equal
 * weights when no crop supports any candidate (or there are none).
 */
function cropSupport(
  crops: readonly CtcEvidence[],
  candidates: readonly Candidate[],
  score: CtcScorer,
): number[] {
  const kept = SUPPORT.get(crops);
  if (kept && kept.candidates === candidates) return kept.w;
  const w = crops.map((c) => {
    let best = 0;
    for (const k of candidates) best = Math.max(best, Math.exp(score(c, k.text)));
    return best;
  });
  const out = w.some((x) => x > 0) ? w : crops.map(() => 1);
  SUPPORT.set(crops, { candidates, w: out });
  return out;
}

/** Thresholds of the two alert levels (chosen from what each level tells the officer, not fitted). */
export interface LevelRule {
  /** confirmed: the entry is the read's best text, at least this probable… */
  confirmedMin: number;
  /** …and at least this many times as probable as any other text. */
  confirmedOdds: number;
  /** possible: at least this probable… */
  possibleMin: number;
  /** …within this factor of the best text's probability… */
  possibleRatio: number;
  /**
   * …and its odds p / (1 − p) at least this many times the chance that a text of its shape is on
   * the lists at all (shapeDensity): the fuller the lists around a text, the more a misread lands
   * on some entry. An alert on the entry is false with probability (1 − p) when the entry is
   * listed by chance (density), true with p: the ratio of the two is what this bounds.
   */
  possibleOdds: number;
}

export const LEVEL_RULE: LevelRule = {
  // "more likely right than wrong, and well clear of any other text": 6 to 1 against the runner-up
  // (with crops weighed by their support, 5 to 1 let more than one false confirmed alert per
  // 10,000 reads through at 5M entries, the most an officer's trust in the level allows; npm run
  // bench -- hits, README "Hits by evidence")
  confirmedMin: 0.5,
  confirmedOdds: 6,
  // "a real chance": worth a look, shown with ≈ and the differing characters
  possibleMin: 0.02,
  possibleRatio: 50,
  // "ten times likelier to be this plate than to be another one on the lists by chance"
  possibleOdds: 10,
};

export interface Judgement {
  level: HitLevel;
  /** The entry text's probability for the read. */
  probability: number;
}

/**
 * The alert level of an entry for a read, or null (no alert). `best` is the read's most probable
 * text and `runnerUp` the best other text's probability, weighed by how far it could be a plate
 * (judgeMatches).
 * Wildcard entries (`*`) can never be confirmed: their probability is that of the read's text.
 */
export function judge(
  entryPlate: string,
  pEntry: number,
  best: { text: string; p: number },
  runnerUp: number,
  rule: LevelRule = LEVEL_RULE,
  density = 0,
): Judgement | null {
  const exact = entryPlate === best.text;
  if (exact && pEntry >= rule.confirmedMin && pEntry >= rule.confirmedOdds * runnerUp)
    return { level: 'confirmed', probability: pEntry };
  if (
    pEntry >= rule.possibleMin &&
    pEntry * rule.possibleRatio >= best.p &&
    pEntry >= rule.possibleOdds * density * Math.max(0, 1 - pEntry)
  )
    return { level: 'possible', probability: pEntry };
  return null;
}

/**
 * The read's best text and the runner-up's probability, among its candidates rescored by the same
 * evidence (the decoder's beams are where the probability mass is).
 */
export function bestTexts(
  ev: ReadEvidence,
  score: CtcScorer,
  extra: readonly string[] = [],
): { best: { text: string; p: number }; runnerUp: number; probs: Map<string, number> } {
  const probs = new Map<string, number>();
  for (const t of [...ev.candidates.map((c) => c.text), ...extra]) {
    if (!probs.has(t)) probs.set(t, textProbability(ev, t, score));
  }
  const ranked = [...probs].sort((a, b) => b[1] - a[1]);
  const top = ranked[0] ?? ['', 0];
  return { best: { text: top[0], p: top[1] }, runnerUp: ranked[1]?.[1] ?? 0, probs };
}

/**
 * A state read with at least this confidence gates matching: entries of another state are not
 * hits. Below it the state is shown, never used to drop a hit (a wrong state must not let a
 * stolen car pass).
 */
export const STATE_GATE = 0.9;

/**
 * Judges the entries found for a read by the read's evidence: each gets its level and
 * probability, those below `possible` are dropped; confirmed first, then by priority.
 * Without a scorer (or CTC outputs) the candidates' confidences are the evidence. `density`
 * gives how full the lists are around a text (shapeDensity over the store's shape counts).
 */
export function judgeMatches(
  found: readonly HitMatch[],
  ev: ReadEvidence,
  score: CtcScorer = () => Number.NEGATIVE_INFINITY,
  rule: LevelRule = LEVEL_RULE,
  platePrior: (text: string) => number = framePlatePrior,
  density: (text: string) => number = () => 0,
): HitMatch[] {
  if (found.length === 0) return [];
  const noCtc = ev.frames.every((f) => f.length === 0);
  if (noCtc) return byCandidates(found, ev.candidates, rule, platePrior, density);
  const plain = found.filter((m) => !m.entryPlate.includes('*')).map((m) => m.entryPlate);
  const { best, probs } = bestTexts(ev, score, plain);
  const out: HitMatch[] = [];
  for (const m of found) {
    const wild = m.entryPlate.includes('*');
    // a wildcard entry is as probable as the candidate text it matched
    const text = wild ? (ev.candidates[m.candidateIndex]?.text ?? best.text) : m.entryPlate;
    // the text's probability, and that such a text is a plate at all (not a date, a phone number, a word)
    const p = (probs.get(text) ?? textProbability(ev, text, score)) * platePrior(text);
    // a rival text counts as far as it could be a plate, as the entry's own probability does (and
    // weighed by its length as the decoder ranks readings): a crop that reads only a fragment of the
    // serial (`694` of `CW1694`, a state's name) leaves the plate's text confirmable
    const runnerUp = Math.max(
      0,
      ...[...probs].filter(([t]) => t !== text).map(([t, q]) => q * platePrior(t) * formatPrior(t)),
    );
    const j = judge(wild ? `${text}*` : text, p, best, runnerUp, rule, density(text));
    if (j) out.push(withLevel(m, j));
  }
  return out.sort(
    (a, b) => Number(a.level !== 'confirmed') - Number(b.level !== 'confirmed') || a.priority - b.priority,
  );
}

function withLevel(m: HitMatch, j: Judgement): HitMatch {
  return {
    ...m,
    level: j.level,
    probability: Math.round(j.probability * 1e4) / 1e4,
    approximate: m.approximate || j.level !== 'confirmed',
  };
}

/**
 * Without CTC outputs (a manual look-up, a read from before they were kept) the evidence is the
 * confidence of the candidate an entry was found from: only an exact match of the top candidate
 * can be confirmed, look-alikes and wildcards are possible at most.
 */
function byCandidates(
  found: readonly HitMatch[],
  candidates: readonly Candidate[],
  rule: LevelRule,
  platePrior: (text: string) => number,
  density: (text: string) => number,
): HitMatch[] {
  const top = candidates[0];
  const out: HitMatch[] = [];
  for (const m of found) {
    const p =
      (candidates[m.candidateIndex]?.confidence ?? 0) * platePrior(candidates[m.candidateIndex]?.text ?? '');
    const exactTop = !m.approximate && m.candidateIndex === 0 && top !== undefined;
    const runnerUp = candidates[1]?.confidence ?? 0;
    const j = exactTop
      ? judge(m.entryPlate, p, { text: m.entryPlate, p }, runnerUp, rule)
      : judge(`${m.entryPlate}*`, p, { text: '', p: top?.confidence ?? p }, 0, rule, density(m.entryPlate));
    if (j) out.push(withLevel(m, j));
  }
  return out.sort(
    (a, b) => Number(a.level !== 'confirmed') - Number(b.level !== 'confirmed') || a.priority - b.priority,
  );
}
