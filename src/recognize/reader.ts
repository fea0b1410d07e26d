/** Text readers: how a recognizer model wants its crops and how its output maps to plate classes. */
import { fileURLToPath } from 'node:url';
import { PLATE_ALPHABET, plateClassGroups } from './ctc.ts';
import { classWeights } from './plates.ts';
import { type Norm, REC_NORM } from './tensor.ts';

export type ReaderKind = 'ppocr' | 'plate-rec';

/** The input geometry and output mapping of one recognizer model. */
export interface ReaderSpec {
  kind: ReaderKind;
  modelVersion: string;
  /** Input height in pixels. */
  height: number;
  /** Widest image width; wider crops are squeezed to it. */
  maxW: number;
  /** Narrowest tensor width (the fixed width for fixed-width models). */
  minTensorW: number;
  /** Zero columns kept right of the image, up to maxW (0: none). */
  padW?: number;
  norm: Norm;
  /** Model classes summed into each plate character (class 0 = blank). */
  groups: number[][];
  /** Prior weight per plate character, applied while masking (undefined: none). */
  weights?: number[];
}

export const PLATE_REC_MODEL = fileURLToPath(
  new URL('../../models/plate-rec/plate-rec.onnx', import.meta.url),
);

/**
 * The same reader for int8 inference (models/plate-rec.md, "int8"): the float model's weights
 * quantized after training, 16 of its 24 dense convolutions in int8 (QLinearConv), the first 8 float.
 */
export const PLATE_REC_INT8_MODEL = fileURLToPath(
  new URL('../../models/plate-rec/plate-rec-int8.onnx', import.meta.url),
);

/** PP-OCRv4's recognizer: BGR, width up to its training width 320, 6,625 classes masked to A-Z0-9. */
export function ppocrReader(keys: readonly string[]): ReaderSpec {
  return {
    kind: 'ppocr',
    modelVersion: 'ppocr-v4-plate-1',
    height: 48,
    maxW: 320,
    minTensorW: 8,
    norm: REC_NORM,
    groups: plateClassGroups(keys, true),
    weights: classWeights(PLATE_ALPHABET),
  };
}

/**
 * The plate recognizer's narrowest tensor: a crop is read at its own width (a multiple of 8, up to
 * 160) without zeros padded to 160, as the reader's cost grows with the width (a 2:1 plate at
 * height 48: ~96 px, 4.9 ms against 8.6 at 160 on one core). Narrower crops are padded to 96:
 * 12 CTC steps, room for 7 characters with the blanks between doubled letters.
 */
export const PLATE_REC_MIN_W = 96;
/**
 * Zero columns the plate recognizer always sees right of a crop (up to 160): it was trained on
 * batches padded to their widest crop, so nearly every crop it learned from had some; read with
 * none, it dropped a first character on two dev frames of the fast profile that it reads with 16
 * (models/plate-rec.md).
 */
export const PLATE_REC_PAD_W = 16;

/**
 * The project's fine-tuned plate recognizer (models/plate-rec.md, "Runtime contract"): RGB, the
 * crop's own width up to 160 (PLATE_REC_MIN_W at least), 37 classes already softmaxed in
 * PLATE_ALPHABET order. The same prior on I, O and Q
 * as PP-OCRv4's reader: the model reads English words and writes O and I in serials that never
 * hold them (dev: one frame and one crop more read right with it than without).
 */
export function plateRecReader(): ReaderSpec {
  return {
    kind: 'plate-rec',
    modelVersion: 'plate-rec-3',
    height: 48,
    maxW: 160,
    minTensorW: PLATE_REC_MIN_W,
    padW: PLATE_REC_PAD_W,
    norm: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], bgr: false },
    groups: plateClassGroups([...PLATE_ALPHABET], false),
    weights: classWeights(PLATE_ALPHABET),
  };
}
