/** Pure scoring of predictions against a manifest (the OpenALPR benchmark's standard metrics). */
import { foldLookalikes, framePlatePrior, normalizePlate } from '../domain/plate.ts';

export type XYWH = [number, number, number, number];

/** One manifest line (see shared/data/README.md). */
export interface ManifestLine {
  image: string;
  region?: string;
  state?: string;
  width?: number;
  height?: number;
  /** The image is already a plate crop: read it whole, no detection. */
  crop?: boolean;
  plates: { text: string; box: XYWH }[];
}

/** One prediction line: candidates of the primary plate, best first; boxes[0] is the primary plate. */
export interface Prediction {
  image: string;
  candidates: string[];
  boxes: XYWH[];
  ms: number;
  /** Confidence of each plate read (same order as boxes); absent in old prediction files. */
  confidences?: number[];
  /** Each plate's top text (same order as boxes); absent in old prediction files. */
  texts?: string[];
  /** The primary plate's issuing state (USPS code) as read, or null; absent in old prediction files. */
  state?: string | null;
  state_confidence?: number | null;
  /**
   * A frame the screen was sure of whose read names no state: the state the car's legend look
   * (its plate's window read as a whole plate, in spare time) names for the vehicle, or null;
   * absent where the car would not look.
   */
  legend_state?: string | null;
}

export interface ImageScore {
  top1: boolean;
  top10: boolean;
  top1Folded: boolean;
  /** null for crops (nothing to detect). */
  detected: boolean | null;
}

export interface Summary {
  images: number;
  top1: number;
  top10: number;
  top1Folded: number;
  /** Share of non-crop images whose plate was found; null when every line is a crop. */
  detection: number | null;
  medianMs: number;
  p90Ms: number;
  /** Median process CPU time per image (runs only; not derivable from the predictions file). */
  medianCpuMs?: number;
  /** Lowest confidence at which top-1 reads are ≥ 99% right, and the share of images read above it. */
  calibration?: Calibration;
  /** Over the lines that carry a state: the share whose primary read names it; null when none carry one. */
  stateAccuracy: number | null;
  /** The share of those lines with any state read, and the accuracy among them. */
  stateCoverage: number | null;
  statePrecision: number | null;
  /** Frames (not crops) whose read names a state, and with the legend look too (when it ran). */
  framesStateNamed?: number;
  framesStateNamedWithLook?: number;
}

export interface Calibration {
  /** null when no threshold reaches the precision (or no prediction has a confidence). */
  threshold: number | null;
  /** Share of all images whose top read has confidence ≥ threshold. */
  coverage: number;
  /** Precision of the reads above the threshold. */
  precision: number;
}

/**
 * The lowest confidence threshold at which the top-1 reads at or above it are at least `target`
 * right. Reads are walked from the most confident down; the threshold is the lowest confidence
 * where the running precision still meets the target, so the precision above it holds.
 */
export function calibrate(
  lines: readonly ManifestLine[],
  preds: readonly Prediction[],
  target = 0.99,
): Calibration {
  const byImage = new Map(preds.map((p) => [p.image, p]));
  const reads: { conf: number; right: boolean }[] = [];
  for (const line of lines) {
    const pred = byImage.get(line.image);
    const conf = pred?.confidences?.[0];
    if (!pred || conf === undefined || pred.candidates.length === 0) continue;
    reads.push({ conf, right: scoreImage(line, pred).top1 });
  }
  reads.sort((a, b) => b.conf - a.conf);
  let right = 0;
  let best: Calibration = { threshold: null, coverage: 0, precision: 0 };
  reads.forEach((r, i) => {
    right += Number(r.right);
    const next = reads[i + 1];
    // only cut between distinct confidences: a threshold keeps every read at its value
    if (next && next.conf === r.conf) return;
    const precision = right / (i + 1);
    if (precision >= target)
      best = { threshold: r.conf, coverage: (i + 1) / Math.max(1, lines.length), precision };
  });
  return best;
}

/** Plates reported on frames that should have none: per frame, and the share of frames with any. */
export interface FalsePlates {
  frames: number;
  perFrame: number;
  framesWithAny: number;
  /**
   * Plates at or above the read threshold (recognize.minConfidence, when given): what the unit
   * reports as reads; the rest are only matched against the hot lists.
   */
  perFrameReads?: number;
  /** The same counting only plates at or above a confidence threshold (when one is given). */
  perFrameAbove?: number;
  /**
   * Plates whose confidence times plate-likeness (framePlatePrior: what a hit is judged by) is at
   * or above the threshold: the plates that could raise a confirmed hit.
   */
  perFrameAlertable?: number;
}

export function falsePlates(
  preds: readonly Prediction[],
  threshold?: number | null,
  readFloor?: number,
): FalsePlates {
  const counts = preds.map((p) => p.boxes.length);
  const reads = preds.map(
    (p) => (p.confidences ?? []).filter((c) => readFloor !== undefined && c >= readFloor).length,
  );
  const above = preds.map(
    (p) => (p.confidences ?? []).filter((c) => threshold != null && c >= threshold).length,
  );
  const alertable = preds.map(
    (p) =>
      (p.confidences ?? []).filter(
        (c, i) => threshold != null && c * framePlatePrior(p.texts?.[i] ?? '') >= threshold,
      ).length,
  );
  const n = Math.max(1, preds.length);
  return {
    frames: preds.length,
    perFrame: counts.reduce((a, b) => a + b, 0) / n,
    framesWithAny: counts.filter((c) => c > 0).length / n,
    ...(readFloor !== undefined ? { perFrameReads: reads.reduce((a, b) => a + b, 0) / n } : {}),
    ...(threshold != null
      ? {
          perFrameAbove: above.reduce((a, b) => a + b, 0) / n,
          ...(preds.some((p) => p.texts)
            ? { perFrameAlertable: alertable.reduce((a, b) => a + b, 0) / n }
            : {}),
        }
      : {}),
  };
}

export function boxIou(a: XYWH, b: XYWH): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Scores one image. A line with several plates counts a read as right when it matches any of them. */
export function scoreImage(line: ManifestLine, pred: Prediction, minIou = 0.3): ImageScore {
  const truths = line.plates.map((p) => normalizePlate(p.text));
  const cands = pred.candidates.map(normalizePlate);
  const first = cands[0];
  const top1 = first !== undefined && truths.includes(first);
  const top10 = cands.slice(0, 10).some((c) => truths.includes(c));
  const folded = truths.map(foldLookalikes);
  const top1Folded = first !== undefined && folded.includes(foldLookalikes(first));
  const detected = line.crop
    ? null
    : line.plates.some((p) => pred.boxes.some((b) => boxIou(p.box, b) > minIou));
  return { top1, top10, top1Folded, detected };
}

/** Linear-interpolated quantile of unsorted values; 0 for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * Summarises predictions over a manifest. Images without a prediction count as wrong and
 * undetected (a crash must not raise the score).
 */
export function summarize(lines: readonly ManifestLine[], preds: readonly Prediction[]): Summary {
  const byImage = new Map(preds.map((p) => [p.image, p]));
  let top1 = 0;
  let top10 = 0;
  let folded = 0;
  let det = 0;
  let detN = 0;
  const st = { n: 0, named: 0, right: 0 };
  for (const line of lines) {
    const pred = byImage.get(line.image) ?? { image: line.image, candidates: [], boxes: [], ms: 0 };
    if (line.state) {
      st.n++;
      if (pred.state) st.named++;
      if (pred.state && pred.state.toUpperCase() === line.state.toUpperCase()) st.right++;
    }
    const s = scoreImage(line, pred);
    top1 += Number(s.top1);
    top10 += Number(s.top10);
    folded += Number(s.top1Folded);
    if (s.detected !== null) {
      detN++;
      det += Number(s.detected);
    }
  }
  const n = lines.length;
  const share = (k: number) => (n > 0 ? k / n : 0);
  const ms = preds.map((p) => p.ms);
  return {
    images: n,
    top1: share(top1),
    top10: share(top10),
    top1Folded: share(folded),
    detection: detN > 0 ? det / detN : null,
    medianMs: quantile(ms, 0.5),
    p90Ms: quantile(ms, 0.9),
    calibration: calibrate(lines, preds),
    stateAccuracy: st.n > 0 ? st.right / st.n : null,
    stateCoverage: st.n > 0 ? st.named / st.n : null,
    statePrecision: st.named > 0 ? st.right / st.named : null,
  };
}

/** Human-readable summary lines. */
export function formatSummary(s: Summary): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return [
    `images          ${s.images}`,
    `top-1           ${pct(s.top1)}`,
    `top-10          ${pct(s.top10)}`,
    `top-1 folded    ${pct(s.top1Folded)}`,
    `detection       ${s.detection === null ? 'n/a (crops)' : pct(s.detection)}`,
    ...(s.stateAccuracy === null
      ? []
      : [
          `state           ${pct(s.stateAccuracy)} (named on ${pct(s.stateCoverage ?? 0)}, right when named ${pct(s.statePrecision ?? 0)})`,
        ]),
    ...(s.framesStateNamed === undefined || s.detection === null
      ? []
      : [
          `state on frames named on ${s.framesStateNamed} of ${s.images} by their reads${s.framesStateNamedWithLook === undefined ? '' : `, ${s.framesStateNamedWithLook} with the car's legend look`} (no label to check)`,
        ]),
    `median ms       ${s.medianMs.toFixed(1)}`,
    `p90 ms          ${s.p90Ms.toFixed(1)}`,
    ...(s.medianCpuMs === undefined ? [] : [`median cpu ms   ${s.medianCpuMs.toFixed(1)}`]),
    ...(s.calibration
      ? [
          s.calibration.threshold === null
            ? 'conf for 99%    none reaches 99% precision'
            : `conf for 99%    ${s.calibration.threshold.toFixed(3)} (${pct(s.calibration.coverage)} of images read above it, precision ${pct(s.calibration.precision)})`,
        ]
      : []),
  ].join('\n');
}
