import { z } from 'zod';
import { pathString } from './common.ts';

export const recognizeSection = z
  .strictObject({
    type: z.enum(['ppocr']).default('ppocr').describe('Recognizer backend'),
    profile: z
      .enum(['fast', 'accurate', 'thorough'])
      .default('accurate')
      .describe(
        "Defaults for detector, secondReader, refine, escalateBelow and detSecondSide (set any to override). fast: the project's plate-det and one reader (70 ms CPU per 720p dev frame on one core). thorough: PP-OCRv4's detector at 1440 px, a second reader and a second look on every frame (~400 ms). accurate: a fast screen first (768 px, one crop per region), and the frames it is unsure of again the thorough way (reads better than thorough on dev frames at a tenth of its median CPU time, 26-29 ms; README figures, models/README.md)",
      ),
    escalateBelow: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "Above 0: a fast first pass (plate-det, the reader alone) on every frame, and frames whose best read is below this confidence, or that have none, read again with the configured detector, secondReader and refine. 0: the configured pipeline on every frame. Default: the profile's (accurate: 0.5, else 0)",
      ),
    escalation: z
      .enum(['inline', 'idle'])
      .default('inline')
      .describe(
        "When an escalating profile (accurate) reads the frames its screen is unsure of again. inline: at once, so every frame costs what it needs (eval, bench). idle: the screen reads every frame, and the unsure ones, one per vehicle (its best view), are read again by a worker the cameras leave spare: live frames never wait, and the thorough read supersedes the vehicle's screen reads. The car's setting; give it one more worker than cameras",
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
        "A second reader for unsure reads (top text below secondBelow); its candidates are merged with the first. Default: the profile's (fast: none, else ppocr)",
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
        "The best plates of a frame re-read as whole-plate windows (each costs about a crop's read). Default: the profile's (fast: 0, else 1)",
      ),
    detector: z
      .enum(['ppocr', 'plate-det'])
      .optional()
      .describe(
        "Text detector: PP-OCRv4's, or the project's distilled plate-det (~10x less compute). Default: the profile's (fast: plate-det, else ppocr)",
      ),
    detModel: pathString.optional().describe("Detector ONNX; default: the chosen detector's shipped model"),
    recModel: pathString
      .optional()
      .describe("Recognizer ONNX for the chosen reader; default: the reader's shipped model"),
    keys: pathString.optional().describe('Recognizer character list; default: the shipped one'),
    int8: z
      .enum(['none', 'screen', 'all'])
      .default('screen')
      .describe(
        "Where the plate-rec reader runs in int8 (models/plate-rec/plate-rec-int8.onnx: the float model's weights quantized, 16 of its 24 dense convolutions in int8; ~0.6 of the time per read on a CPU with VNNI). screen: the screen of an escalating profile, which reads every frame; the thorough look keeps the float reader. all: everywhere. none: float everywhere. Ignored with recModel or the ppocr reader",
      ),
    state: z
      .boolean()
      .default(true)
      .describe(
        "Tell each plate's issuing state from the words printed on it (name, legend, slogan; PP-OCRv4's recognizer reads them) and rank readings by that state's serial series. With escalation idle, a vehicle the screen reads surely but names no state for also gets a legend look in spare time (its plate's window read as a whole plate, for the state)",
      ),
    plateClassifier: z
      .boolean()
      .default(true)
      .describe(
        "Weigh each text region by the project's plate classifier (models/plate-cls/): a registration on a plate ranks before badges, signs, stickers, phone and fleet numbers and overlays. In the accurate profile it ranks the full pipeline's regions (the frames the screen is unsure of), not the screen's. A frame read whose text is not shaped like a serial (a word, a number, 4 or 8 characters) gets the classifier's plate probability in its confidence, in the screen too: a badge or a sign falls below minConfidence and is matched against the hot lists only",
      ),
    screenGate: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        "An escalating profile's screen (accurate): once a text region reads sure, the frame's later regions are read only where the plate classifier scores them at least this (or they are stacked on the sure plate, as its state's legend is): a dealer's name, a sticker or a badge beside a plate already read costs no reader run, a second vehicle's plate still gets one on most frames (8 in 10 of the screen's plate regions on dev frames score at least 0.5, and a vehicle is seen on many frames). 0: every region read",
      ),
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
        'Recognizer worker threads, each with its own models: frames of different cameras are read in parallel; about one per core the cameras leave free. With escalation idle and an escalating profile, all but one load the screen alone (~90 MB each) and one every model (~310 MB; `npm run bench -- memory`)',
      ),
    threads: z.number().int().min(1).max(16).default(1).describe('onnxruntime intra-op threads per model'),
    detMaxSide: z
      .number()
      .int()
      .min(320)
      .max(2048)
      .refine((v) => v % 32 === 0, 'must be a multiple of 32')
      .optional()
      .describe(
        'Long side the detector sees (multiple of 32). Default: by detector, 1440 for ppocr (it finds and separates the small characters of distant plates better than at 960) and 960 for plate-det',
      ),
    detSecondSide: z
      .number()
      .int()
      .min(0)
      .max(2048)
      .refine((v) => v % 32 === 0, 'must be a multiple of 32')
      .optional()
      .describe(
        "A second, coarser detector pass on frames (long side, multiple of 32; 0: none); its regions are added where they overlap none of the first pass's. Default: the profile's (fast: 0, else 480)",
      ),
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
    hotlistFloor: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        "Plates below minConfidence but at or above this are matched against the hot lists only (hits are judged by the model's evidence, so a poorly read stolen plate can still raise a possible hit); a hot one becomes a read. At minConfidence or above: off",
      ),
    topN: z.number().int().min(1).max(20).default(10).describe('Candidates kept per plate'),
  })
  .prefault({})
  .describe('Plate finding and reading (ONNX models on worker threads)');

export type RecognizeSection = z.infer<typeof recognizeSection>;
/** The recognize section with the profile's defaults filled in. */
export type ResolvedRecognize = RecognizeSection &
  Required<
    Pick<
      RecognizeSection,
      'detector' | 'secondReader' | 'refine' | 'escalateBelow' | 'detSecondSide' | 'detMaxSide'
    >
  > & {
    /**
     * Leave out text regions that touch the frame's border (the screen of an escalating pipeline:
     * its read of one is never taken as sure, so reading it only costs time).
     */
    skipBorderRegions?: boolean;
    /**
     * Once a region reads sure (confidence at least this, plates.ts looksSure), the frame's later
     * regions are read only where the plate classifier scores them at least recognize.screenGate
     * or they are stacked on the sure plate (its legend): the screen of an escalating pipeline.
     */
    sureStop?: number;
    /** Read with the int8 plate-rec (recognize.int8: set on the pipelines it names). */
    quantized?: boolean;
    /**
     * Weigh the confidence of every frame read not shaped like a serial by the plate classifier
     * (plate-cls.ts asPlate): recognize.plateClassifier, in the screen as in the full pipeline.
     */
    weighWords?: boolean;
  };

type ProfileDefaults = Pick<
  ResolvedRecognize,
  'detector' | 'secondReader' | 'refine' | 'escalateBelow' | 'detSecondSide'
>;

/**
 * The thorough pipeline's detector resolution (long side). PP-OCRv4's detector was trained on
 * larger text than a distant plate's: at 960 px a 720p frame's 55-px plate shrinks to 12-px
 * characters that it misses or splits, while a bigger input finds and joins them. Measured on dev
 * frames (models/README.md), the car's pipeline with its thorough look at 960 / 1280 / 1440 / 1600
 * / 1920 px: 84.7 / 84.7 / 88.3 / 87.4 / 85.6% top-1; the look takes ~190 / 310 / 390 / 440 / 580 ms.
 */
export const THOROUGH_MAX_SIDE = 1440;

/**
 * The detector's long side where the config sets none, by detector: PP-OCRv4's at
 * THOROUGH_MAX_SIDE; the project's plate-det was distilled at 960 px and reads best there.
 */
const DET_MAX_SIDE: Record<NonNullable<RecognizeSection['detector']>, number> = {
  ppocr: THOROUGH_MAX_SIDE,
  'plate-det': 960,
};

/**
 * thorough: a coarse second detector pass at 480 px (dev frames: detection 98.2 → 99.1%, reads
 * unchanged; models/README.md); only frames the screen is unsure of pay for it in accurate.
 */
const THOROUGH: ProfileDefaults = {
  detector: 'ppocr',
  secondReader: 'ppocr',
  refine: 1,
  escalateBelow: 0,
  detSecondSide: 480,
};
const PROFILES: Record<RecognizeSection['profile'], ProfileDefaults> = {
  fast: { detector: 'plate-det', secondReader: 'none', refine: 0, escalateBelow: 0, detSecondSide: 0 },
  thorough: THOROUGH,
  // "unsure": the fast pass's best read is more likely wrong than right to take at face value
  accurate: { ...THOROUGH, escalateBelow: 0.5 },
};

/** Fills detector, secondReader, refine, escalateBelow and detSecondSide from the profile, and detMaxSide from the detector, where the config leaves them unset. */
export function resolveRecognize(cfg: RecognizeSection): ResolvedRecognize {
  const p = PROFILES[cfg.profile];
  const detector = cfg.detector ?? p.detector;
  return {
    ...cfg,
    detector,
    secondReader: cfg.secondReader ?? p.secondReader,
    refine: cfg.refine ?? p.refine,
    escalateBelow: cfg.escalateBelow ?? p.escalateBelow,
    detSecondSide: cfg.detSecondSide ?? p.detSecondSide,
    detMaxSide: cfg.detMaxSide ?? DET_MAX_SIDE[detector],
    quantized: cfg.int8 === 'all',
    weighWords: cfg.plateClassifier,
  };
}

/**
 * The long side the first pass of an escalating configuration detects at: a screen, coarser than
 * the full pipeline's 960 (about 0.64 of its pixels): frames it cannot read with confidence go on
 * anyway. Measured on dev (models/README.md): 960, 832 and 768 all keep 80-82% top-1; 768 is the
 * cheapest (median 51 ms against 69 at 960).
 */
export const FIRST_PASS_MAX_SIDE = 768;

/**
 * Text regions the screen reads per frame, best first by the detector's score: a frame seldom
 * shows more plates, and a frame whose plate is not among them is unsure and goes on to the full
 * pipeline (12 regions). Each region read costs a reader run (~4-5 ms on one core in int8), so the
 * cluttered frames, not the median one, decide whether the screens keep up with the cameras.
 * Measured on dev (models/README.md): a labelled plate's region ranks 1st-3rd when the screen
 * finds it, 4th on one frame, which 3 regions send on to the thorough look (read right there);
 * every dev frame's top read and candidates as with 4. The screen alone per dev frame, one core of
 * an AMD EPYC: median 21.5 → 21.0 ms, p90 33 → 29, p99 42 → 33; on real frames at 2 × 15 fps
 * (`npm run bench -- cameras`, every read hot, four runs each, alternating): 0 frames dropped in
 * every run and frame→read p99 72-93 ms, against 0-3 dropped and p99 100-112 ms with 4 regions
 * (with no read hot: 0-6 dropped, p99 96-132 ms; a camera at 15 fps sends a frame every 67 ms).
 */
export const SCREEN_MAX_REGIONS = 3;

/**
 * The first pass of an escalating configuration: the fast profile's pipeline with the same reader,
 * one crop per region (a read it is unsure of goes to the full pipeline anyway), detecting at
 * FIRST_PASS_MAX_SIDE at most and reading SCREEN_MAX_REGIONS regions at most. Without the plate
 * classifier: the screen keeps only reads that already look like plates (confident, 6+ letters and
 * digits, away from the border), and the frames where badges and numbers compete with a plate go
 * on to the full pipeline, whose regions the classifier also scores better (models/README.md).
 * Regions touching the frame's border (camera timestamps and names in the corners, plates cut off
 * by the edge) are not read at all: a read of one is never sure, and a frame whose only plate lies
 * there goes on to the full pipeline, which reads every region.
 */
export function firstPass(cfg: ResolvedRecognize): ResolvedRecognize {
  return {
    ...cfg,
    ...PROFILES.fast,
    detModel: undefined,
    cropVariants: 1,
    maxRegions: Math.min(cfg.maxRegions, SCREEN_MAX_REGIONS),
    detMaxSide: Math.min(cfg.detMaxSide, FIRST_PASS_MAX_SIDE),
    plateClassifier: false,
    skipBorderRegions: true,
    sureStop: cfg.screenGate > 0 ? cfg.escalateBelow : undefined,
    quantized: cfg.int8 !== 'none',
  };
}

/** True when the fast first pass would be the configured pipeline itself. */
function sameAsFirst(cfg: ResolvedRecognize): boolean {
  const f = firstPass(cfg);
  return (
    cfg.detector === f.detector &&
    !cfg.detModel &&
    cfg.secondReader === f.secondReader &&
    cfg.refine === f.refine
  );
}

/** True when the configuration escalates: a screen first, and the frames it is unsure of again. */
export function escalates(cfg: ResolvedRecognize): boolean {
  return cfg.escalateBelow > 0 && !sameAsFirst(cfg);
}
