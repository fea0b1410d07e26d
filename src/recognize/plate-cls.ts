/**
 * Plates, not text: the project's plate classifier (models/plate-cls/) scores how likely a text
 * region is a licence plate's registration rather than a badge, a sign, a sticker, a phone or
 * fleet number or a camera overlay, from the plate-shaped window around it (the region plus the
 * plate and car body it sits on). Its score weighs the region's rank among a frame's plates, and
 * the confidence of a read whose text is not shaped like a serial (asPlate).
 */
import * as ort from 'onnxruntime-node';
import { framePlatePrior, lengthPrior, serialShaped } from '../domain/plate.ts';
import type { Box, PlateReading, RgbImage } from '../domain/types.ts';
import { clipBox, padBox } from './boxes.ts';
import { type Norm, regionToChw } from './tensor.ts';

/** The classifier's input: 3 × 48 × 128, RGB, (x/255 − 0.5)/0.5. */
export const PLATE_CLS_H = 48;
export const PLATE_CLS_W = 128;
const NORM: Norm = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], bgr: false };

/**
 * The window the classifier sees around a text region: 15% wider each side and 60% of the
 * region's height above and below (the plate around a registration, and a little of the car),
 * clipped to the frame.
 */
export function plateWindow(box: Box, width: number, height: number): Box | null {
  return clipBox(padBox(box, 0.15, 0.6), width, height);
}

/** The classifier's input for one region, written at `out` (3 × 48 × 128 floats). */
export function windowTensor(img: RgbImage, box: Box, out?: Float32Array): Float32Array | null {
  const win = plateWindow(box, img.width, img.height);
  if (!win) return null;
  return regionToChw(img, win, PLATE_CLS_W, PLATE_CLS_H, NORM, PLATE_CLS_W, out);
}

/**
 * How much a region's plate probability `p` weighs its rank: never below FLOOR, so a real plate
 * the classifier doubts still ranks (behind plausible ones) and can still be read and matched.
 */
export const PLATE_CLS_FLOOR = 0.1;
export function plateWeight(p: number): number {
  return PLATE_CLS_FLOOR + (1 - PLATE_CLS_FLOOR) * p;
}

/**
 * How much more often a text of this shape is a plate's registration than other text, as odds
 * against a serial: framePlatePrior (a word or a number 0.2, a year or a date 0.05) times
 * lengthPrior (0.4 for 4 or 8 characters, 0.1 for any other length outside 5-7).
 */
export function textPlateOdds(text: string): number {
  return framePlatePrior(text) * lengthPrior(text.length);
}

/**
 * A frame's read as a plate: its confidence is the probability that the region is a plate and
 * reads as its text. A text shaped like a serial is a plate on its own evidence. Any other text (a
 * word, a number, a badge's `RAV4`) is a plate only as far as the classifier's probability for its
 * window, taken with the odds of its shape (the classifier learned from plates and other text in
 * equal numbers, textPlateOdds), says so: the confidence and the candidates' are weighed by
 * plateWeight of that. A badge's `CAMRY` read at 0.97 (p 0.002) becomes 0.1: below
 * recognize.minConfidence, matched against the hot lists only; a vanity plate the classifier is
 * sure of (p 0.95) keeps most of its confidence.
 */
export function asPlate(reading: PlateReading, p: number | undefined): PlateReading {
  if (p === undefined || serialShaped(reading.text)) return reading;
  // odds p / (1 − p) times k, as a probability: p·k / (p·k + 1 − p)
  const pk = p * textPlateOdds(reading.text);
  const w = plateWeight(pk / (pk + (1 - p)));
  return {
    ...reading,
    confidence: reading.confidence * w,
    candidates: reading.candidates.map((c) => ({ ...c, confidence: c.confidence * w })),
  };
}

export class PlateClassifier {
  constructor(private readonly session: ort.InferenceSession) {}

  /** Plate probability of each region (1 where no window can be cut). One batched run. */
  async score(img: RgbImage, boxes: readonly Box[]): Promise<number[]> {
    if (boxes.length === 0) return [];
    const size = 3 * PLATE_CLS_H * PLATE_CLS_W;
    const input = new Float32Array(boxes.length * size);
    const ok = boxes.map((b, i) => windowTensor(img, b, input.subarray(i * size, (i + 1) * size)) !== null);
    const feeds = {
      [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [
        boxes.length,
        3,
        PLATE_CLS_H,
        PLATE_CLS_W,
      ]),
    };
    const out = (await this.session.run(feeds))[this.session.outputNames[0]!]!.data as Float32Array;
    return boxes.map((_, i) => (ok[i] ? out[i]! : 1));
  }
}
