import { z } from 'zod';
import { pathString } from './common.ts';

export const recognizeSection = z
  .strictObject({
    type: z.enum(['ppocr']).default('ppocr').describe('Recognizer backend'),
    profile: z
      .enum(['accurate', 'fast'])
      .default('accurate')
      .describe(
        "Defaults for detector, secondReader and refine (set any of them to override): accurate reads the most plates per frame (PP-OCRv4's detector, a second reader, a second look; ~230 ms per 720p frame on one core); fast reads a few points fewer per frame at about a quarter of the CPU (plate-det, one reader; ~60 ms), so a 2-core unit reads every frame of two 15-fps cameras (models/README.md)",
      ),
    reader: z
      .enum(['ppocr', 'plate-rec'])
      // plate-rec (trained by the project) beats PP-OCRv4 on every dev figure and is faster.
      .default('plate-rec')
      .describe(
        "Text reader: PP-OCRv4's recognizer masked to A-Z0-9, or the project's fine-tuned plate-rec (models/plate-rec.md)",
      ),
    secondReader: z
      .enum(['none', 'ppocr', 'plate-rec'])
      .optional()
      .describe(
        "A second reader for unsure reads (top text below secondBelow); its candidates are merged with the first. Default: the profile's (accurate: ppocr, fast: none)",
      ),
    secondBelow: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('Reads whose top text has a lower probability also go to the second reader'),
    refine: z
      .number()
      .int()
      .min(0)
      .max(4)
      .optional()
      .describe(
        "The best plates of a frame re-read as whole-plate windows (each costs about a crop's read). Default: the profile's (accurate: 1, fast: 0)",
      ),
    detector: z
      .enum(['ppocr', 'plate-det'])
      .optional()
      .describe(
        "Text detector: PP-OCRv4's, or the project's distilled plate-det (~10x less compute). Default: the profile's (accurate: ppocr, fast: plate-det)",
      ),
    detModel: pathString.optional().describe("Detector ONNX; default: the chosen detector's shipped model"),
    recModel: pathString
      .optional()
      .describe("Recognizer ONNX for the chosen reader; default: the reader's shipped model"),
    keys: pathString.optional().describe('Recognizer character list; default: the shipped one'),
    worker: z
      .boolean()
      .default(true)
      .describe('Run inference on a worker thread so GPS, sync and the watchdog never wait for it'),
    workers: z
      .number()
      .int()
      .min(1)
      .max(8)
      .default(1)
      .describe(
        'Recognizer worker threads, each with its own models (~150 MB): frames of different cameras are read in parallel; about one per core the cameras leave free',
      ),
    threads: z.number().int().min(1).max(16).default(1).describe('onnxruntime intra-op threads per model'),
    detMaxSide: z
      .number()
      .int()
      .min(320)
      .max(2048)
      .refine((v) => v % 32 === 0, 'must be a multiple of 32')
      .default(960)
      .describe('Long side the detector sees (multiple of 32)'),
    detThreshold: z.number().min(0.05).max(0.95).default(0.3).describe('Detector map threshold'),
    detBoxThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Minimum mean detector probability of a text region'),
    unclipRatio: z
      .number()
      .min(0.5)
      .max(4)
      .default(1.5)
      .describe('DB unclip ratio for detected text regions'),
    cropVariants: z
      .number()
      .int()
      .min(1)
      .max(3)
      .default(2)
      .describe('Crops read per text region and merged: more is slightly more accurate and slower'),
    maxRegions: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(12)
      .describe('Text regions read per frame, best first'),
    minConfidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe(
        'Plates whose best text has a lower probability are dropped (0.2 keeps 400 of 402 right reads on dev)',
      ),
    topN: z.number().int().min(1).max(20).default(10).describe('Candidates kept per plate'),
  })
  .prefault({});

export type RecognizeSection = z.infer<typeof recognizeSection>;
/** The recognize section with the profile's defaults filled in. */
export type ResolvedRecognize = RecognizeSection &
  Required<Pick<RecognizeSection, 'detector' | 'secondReader' | 'refine'>>;

const PROFILES: Record<
  RecognizeSection['profile'],
  Pick<ResolvedRecognize, 'detector' | 'secondReader' | 'refine'>
> = {
  accurate: { detector: 'ppocr', secondReader: 'ppocr', refine: 1 },
  fast: { detector: 'plate-det', secondReader: 'none', refine: 0 },
};

/** Fills detector, secondReader and refine from the profile where the config leaves them unset. */
export function resolveRecognize(cfg: RecognizeSection): ResolvedRecognize {
  const p = PROFILES[cfg.profile];
  return {
    ...cfg,
    detector: cfg.detector ?? p.detector,
    secondReader: cfg.secondReader ?? p.secondReader,
    refine: cfg.refine ?? p.refine,
  };
}
