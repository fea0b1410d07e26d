/** Pure parts of tracking: box overlap, text similarity and the consensus vote across frames. */
import { editDistance, textSimilarity } from '../domain/plate.ts';
import type { Box, Candidate, FrameMeta, PlateReading, PlateState } from '../domain/types.ts';

export { editDistance, textSimilarity };

/** Intersection over union of two boxes, 0..1. */
export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** One plate seen on one frame. */
export interface Observation {
  frame: FrameMeta;
  reading: PlateReading;
  /** Read again the thorough way (recognize.escalation: idle). */
  thorough?: boolean;
}

export interface Consensus {
  text: string;
  /** Mean over the frames of the probability each frame gave this text (0 where it did not read it). */
  confidence: number;
  /** Best first, `text` at index 0. */
  candidates: Candidate[];
  /** The observation whose read of `text` is most confident: its frame gives the crop and overview. */
  best: Observation;
}

function candidatesOf(r: PlateReading): Candidate[] {
  return r.candidates.length > 0 ? r.candidates : [{ text: r.text, confidence: r.confidence }];
}

/**
 * Confidence-weighted vote across frames: each frame gives each of its candidate texts its
 * probability; a text's score is the sum over frames, its confidence the mean. Ties go to the text
 * read first-choice more often, then to the alphabetically first (deterministic).
 */
export function consensus(obs: readonly Observation[], topN: number): Consensus {
  if (obs.length === 0) throw new RangeError('consensus of no observations');
  const score = new Map<string, number>();
  const firsts = new Map<string, number>();
  for (const o of obs) {
    const seen = new Map<string, number>();
    for (const c of candidatesOf(o.reading)) seen.set(c.text, Math.max(seen.get(c.text) ?? 0, c.confidence));
    for (const [t, p] of seen) score.set(t, (score.get(t) ?? 0) + p);
    firsts.set(o.reading.text, (firsts.get(o.reading.text) ?? 0) + 1);
  }
  const ranked = [...score.entries()].sort(
    (a, b) => b[1] - a[1] || (firsts.get(b[0]) ?? 0) - (firsts.get(a[0]) ?? 0) || (a[0] < b[0] ? -1 : 1),
  );
  const candidates = ranked.slice(0, topN).map(([text, s]) => ({ text, confidence: s / obs.length }));
  const winner = candidates[0]!;
  const p = (o: Observation) => candidatesOf(o.reading).find((c) => c.text === winner.text)?.confidence ?? -1;
  let best = obs[0]!;
  for (const o of obs) {
    const top = o.reading.text === winner.text ? 1 : 0;
    const bestTop = best.reading.text === winner.text ? 1 : 0;
    if (top > bestTop || (top === bestTop && p(o) > p(best))) best = o;
  }
  return { text: winner.text, confidence: winner.confidence, candidates, best };
}

/**
 * The state a vehicle's reads name with the most confidence, or null when none names one: each
 * frame, screen and thorough look alike, reads the legend on its own crop, and one clear view of
 * it is enough (a look that reads the registration better may see the legend worse). `looks`:
 * states read later from the legend around the vehicle's plate (the legend look).
 */
export function trackState(
  obs: readonly Observation[],
  looks: readonly PlateState[] = [],
): PlateState | null {
  let best: PlateState | null = null;
  for (const s of [...obs.map((o) => o.reading.state), ...looks]) {
    if (s && (!best || s.confidence > best.confidence)) best = s;
  }
  return best;
}

/** The reading a detection carries: the best frame's box, the consensus text and alternatives. */
export function consensusReading(c: Consensus): PlateReading {
  const r = c.best.reading;
  return {
    ...r,
    text: c.text,
    confidence: c.confidence,
    candidates: c.candidates,
    charConfidences: r.text === c.text ? r.charConfidences : Array.from(c.text, () => c.confidence),
  };
}

/** A box grown by `padX`/`padY` (shares of its size) on each side, clipped to the frame, in whole pixels. */
export function padBox(b: Box, width: number, height: number, padX: number, padY: number): Box {
  const x0 = Math.max(0, Math.floor(b.x - b.w * padX));
  const y0 = Math.max(0, Math.floor(b.y - b.h * padY));
  const x1 = Math.min(width, Math.ceil(b.x + b.w * (1 + padX) - 1e-9));
  const y1 = Math.min(height, Math.ceil(b.y + b.h * (1 + padY) - 1e-9));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}
