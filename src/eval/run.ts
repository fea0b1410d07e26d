/** Runs a recognizer over a manifest and writes predictions JSON Lines. */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Box, PlateReading, PlateState } from '../domain/types.ts';
import type { ManifestLine, Prediction, XYWH } from './score.ts';
import { quantile, summarize, type Summary } from './score.ts';

/** The part of the recognizer the evaluation needs (structural: no import of the recognize stage). */
export interface EvalRecognizer {
  readFrame(img: EvalImage): Promise<PlateReading[]>;
  readCrop(img: EvalImage): Promise<PlateReading | null>;
}
export interface EvalImage {
  width: number;
  height: number;
  data: Buffer;
}

export interface EvalOptions {
  lines: readonly ManifestLine[];
  root: string;
  /** Predictions JSONL file, written line by line. */
  out: string;
  recognizer: EvalRecognizer;
  decode: (path: string) => Promise<EvalImage>;
  /** Paint over every labelled plate before reading: plate-free frames for counting false plates. */
  maskPlates?: boolean;
  /**
   * The car's legend look, offered (untimed) each frame whose read names no state: the state a
   * vehicle's detection would name in the car (recognize.escalation: idle); undefined where the
   * car would not look.
   */
  legendLook?: (img: EvalImage, plate: PlateReading) => Promise<PlateState | null | undefined>;
  onProgress?: (done: number, total: number) => void;
}

const xywh = (b: Box): XYWH => [Math.round(b.x), Math.round(b.y), Math.round(b.w), Math.round(b.h)];

/** Turns readings into one prediction; `ms` is recognition time only (decoding the file excluded). */
export function toPrediction(image: string, plates: readonly PlateReading[], ms: number): Prediction {
  return {
    image,
    candidates: plates[0]?.candidates.map((c) => c.text) ?? [],
    boxes: plates.map((p) => xywh(p.box)),
    ms: Math.round(ms * 10) / 10,
    confidences: plates.map((p) => Math.round(p.confidence * 1e4) / 1e4),
    texts: plates.map((p) => p.text),
    state: plates[0]?.state?.code ?? null,
    state_confidence: plates[0]?.state?.confidence ?? null,
  };
}

/**
 * Fills a plate's box, grown by a quarter of its height on every side (frame, bolts, state name),
 * with the mean colour of the pixels just around it: the plate is gone, the scene stays a scene.
 */
export function paintOver(img: EvalImage, box: XYWH): void {
  const m = box[3] * 0.25;
  const x0 = Math.max(0, Math.floor(box[0] - m));
  const y0 = Math.max(0, Math.floor(box[1] - m));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2] + m));
  const y1 = Math.min(img.height, Math.ceil(box[1] + box[3] + m));
  const sum = [0, 0, 0];
  let n = 0;
  const ring = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
    const i = (y * img.width + x) * 3;
    for (let c = 0; c < 3; c++) sum[c]! += img.data[i + c]!;
    n++;
  };
  for (let x = x0; x < x1; x++) {
    ring(x, y0 - 1);
    ring(x, y1);
  }
  for (let y = y0; y < y1; y++) {
    ring(x0 - 1, y);
    ring(x1, y);
  }
  const fill = sum.map((v) => Math.round(v / Math.max(1, n)));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 3;
      for (let c = 0; c < 3; c++) img.data[i + c] = fill[c]!;
    }
  }
}

export async function runEval(opts: EvalOptions): Promise<{ predictions: Prediction[]; summary: Summary }> {
  const stream = createWriteStream(opts.out);
  const predictions: Prediction[] = [];
  // CPU time per image: on a shared machine wall time also counts other processes' work.
  const cpuMs: number[] = [];
  let frames = 0;
  let named = 0;
  let looked = 0;
  try {
    for (const [i, line] of opts.lines.entries()) {
      const img = await opts.decode(resolve(opts.root, line.image));
      if (opts.maskPlates) for (const p of line.plates) paintOver(img, p.box);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let plates: PlateReading[];
      if (line.crop) {
        const r = await opts.recognizer.readCrop(img);
        plates = r ? [r] : [];
      } else {
        plates = await opts.recognizer.readFrame(img);
      }
      const pred = toPrediction(line.image, plates, performance.now() - t0);
      const cpu = process.cpuUsage(c0);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      if (!line.crop) {
        frames++;
        if (pred.state) named++;
        const best = plates[0];
        if (opts.legendLook && !opts.maskPlates && best && !best.state) {
          const state = await opts.legendLook(img, best);
          if (state !== undefined) pred.legend_state = state?.code ?? null;
          if (state) looked++;
        }
      }
      predictions.push(pred);
      stream.write(`${JSON.stringify(pred)}\n`);
      opts.onProgress?.(i + 1, opts.lines.length);
    }
  } finally {
    await new Promise<void>((res, rej) => stream.end((err?: Error | null) => (err ? rej(err) : res())));
  }
  return {
    predictions,
    summary: {
      ...summarize(opts.lines, predictions),
      medianCpuMs: quantile(cpuMs, 0.5),
      ...(frames > 0 ? { framesStateNamed: named } : {}),
      ...(frames > 0 && opts.legendLook ? { framesStateNamedWithLook: named + looked } : {}),
    },
  };
}
