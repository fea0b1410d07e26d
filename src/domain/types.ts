/** Shared data shapes. `src/domain` imports nothing else of ours. */

export type Orientation = 'front' | 'rear' | 'left' | 'right';
export type Light = 'green' | 'amber' | 'red';

/** Axis-aligned box in frame pixels; (x, y) is the top-left corner. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A decoded image, interleaved RGB (3 bytes per pixel), row-major, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Buffer;
}

/** One decoded camera frame, interleaved RGB (3 bytes per pixel). */
export interface Frame {
  cameraId: string;
  orientation: Orientation;
  seq: number;
  /** System clock, epoch ms, when the frame was captured. */
  capturedAt: number;
  width: number;
  height: number;
  data: Buffer;
  /** Where the frame came from, for logs at debug level (a file name, a stream URL). */
  source?: string;
}

export type FrameMeta = Omit<Frame, 'data'>;

export interface Candidate {
  text: string;
  /** 0..1, product-like score of the per-character probabilities. */
  confidence: number;
}

/** A plate found and read on one frame. */
export interface PlateReading {
  box: Box;
  /** Best text, normalized A-Z0-9. */
  text: string;
  confidence: number;
  /** Best first; includes `text` at index 0. */
  candidates: Candidate[];
  charConfidences: number[];
  /** Detector's score for the region. */
  detScore: number;
  /** The issuing state read from the words on the plate (name, legend), when any were read. */
  state?: PlateState | null;
  /**
   * The reader's per-step character distributions for the crops this reading came from, kept so
   * a hot-list entry can be scored against the model's own output (any text's probability).
   */
  evidence?: CtcEvidence[];
}

/** An issuing state as the recognizer tells it. */
export interface PlateState {
  /** USPS code (CA, TX, DC…). */
  code: string;
  /** 0..1. */
  confidence: number;
}

/**
 * One crop's CTC output: T steps × K classes, row-major (class 0 = blank, class j = the j-th
 * character of PLATE_ALPHABET `0-9A-Z`), each row a distribution.
 */
export interface CtcEvidence {
  T: number;
  K: number;
  probs: Float32Array;
}

export interface FrameResult {
  frame: FrameMeta;
  plates: PlateReading[];
  /** Recognition time for the frame in ms. */
  ms: number;
  /**
   * Plates read below the read threshold (recognize.minConfidence) but above the hot-list floor:
   * not reads, only matched against the hot lists (judged by evidence); a hot one becomes a read.
   */
  faint?: PlateReading[];
  /**
   * A second, thorough read of a frame the screen was unsure of, done when the recognizer was
   * idle: its reading supersedes the screen's reads of the same vehicle.
   */
  thorough?: boolean;
}

export type FixQuality =
  | 'none'
  | 'gps'
  | 'dgps'
  | 'pps'
  | 'rtk'
  | 'float-rtk'
  | 'estimated'
  | 'manual'
  | 'sim';

/** The receiver's latest fix as the GPS stage knows it. */
export interface Fix {
  /** Receiver UTC as ISO 8601, or null when the receiver gave none. */
  time: string | null;
  lat: number;
  lon: number;
  alt: number | null;
  /** m/s */
  speed: number | null;
  /** degrees true, 0..360 */
  course: number | null;
  quality: FixQuality;
  sats: number | null;
  hdop: number | null;
  /** System clock (epoch ms) when the fix arrived. */
  receivedAt: number;
}

/** The position a read carries: a fresh fix, or null with a reason. Never 0,0 by default. */
export type ReadPosition =
  | {
      lat: number;
      lon: number;
      speed: number | null;
      course: number | null;
      quality: FixQuality;
      fixAgeMs: number;
      deadReckoned: boolean;
    }
  | { lat: null; lon: null; reason: 'no-fix' | 'stale-fix' | 'no-gps' };

/** A detection: the record the unit stores and syncs. */
export interface Read {
  id: string;
  plate: string;
  confidence: number;
  candidates: Candidate[];
  cameraId: string;
  orientation: Orientation;
  /** ISO 8601, system clock at capture. */
  capturedAt: string;
  box: Box;
  position: ReadPosition;
  operatorId: string | null;
  unitId: string;
  modelVersion: string;
  /** The hot lists live when the read was matched: list name → version (absent on older reads). */
  hotlistVersions?: Record<string, number>;
  /** The issuing state read on the plate (USPS code) and its confidence; absent when none was read. */
  state?: PlateState | null;
  /**
   * GPS time minus the system clock at capture, in ms, when they disagreed by health.clock.maxOffsetS
   * or more (the clock light red): the capture's true time is capturedAt + clockOffsetMs. Absent
   * when they agreed or nothing could tell (no timed GPS fix).
   */
  clockOffsetMs?: number;
}

export interface HitMatch {
  list: string;
  listVersion: string;
  entryPlate: string;
  state: string | null;
  priority: number;
  caseNumber: string | null;
  reason: string | null;
  informational: boolean;
  shareable: boolean;
  /** True when the read matched only through look-alike substitutions or a wildcard. */
  approximate: boolean;
  /** Positions (0-based) in the read's text that differ from the entry. */
  substitutions: number[];
  /** Which OCR candidate matched (0 = the top read). */
  candidateIndex: number;
  /**
   * confirmed: the entry is the read's best text by a wide margin; possible: the model gives the
   * entry's text a real chance (shown with ≈). Absent on hits from before levels existed.
   */
  level?: HitLevel;
  /** The entry text's probability for the read (the recognizer's CTC output, all frames). */
  probability?: number;
}

export type HitLevel = 'confirmed' | 'possible';

export interface Hit {
  id: string;
  readId: string;
  plate: string;
  cameraId: string;
  capturedAt: string;
  position: ReadPosition;
  match: HitMatch;
  /** Raised after a hot-list update re-check rather than at read time. */
  late: boolean;
  /** Likely compass direction of the observed vehicle, when known. */
  direction: string | null;
  /** The issuing state the recognizer read on the plate, when it read one (the entry's is match.state). */
  readState?: PlateState | null;
  /** The read's clock mark (Read.clockOffsetMs), when its capture time is off GPS time. */
  clockOffsetMs?: number;
}

export interface HealthReport {
  component: string;
  light: Light;
  reason: string;
  at: number;
}

/** One vehicle's plate as the tracker settles it: the reading to record and the frame it came from. */
export interface Detection {
  frame: FrameMeta;
  reading: PlateReading;
  /** Frames the tracker saw this plate on. */
  frames: number;
  /** JPEG of the plate crop (padded), cut from the full-resolution frame `frame`, when kept. */
  plateJpeg?: Buffer;
  /** JPEG overview of the same frame (downscaled), when kept. */
  overviewJpeg?: Buffer;
  /** Every frame's own read of this plate, for audits (track.rawReads). */
  frameReads?: FrameRead[];
  /** The CTC outputs of the best frames' reads of this plate (per frame), for judging hits. */
  evidence?: CtcEvidence[][];
}

/** One frame's read of a tracked plate, kept for audits. */
export interface FrameRead {
  seq: number;
  capturedAt: number;
  text: string;
  confidence: number;
  box: Box;
}

/** An officer-entered hot plate as the form or the CLI gives it (policy rule 6). */
export interface OfficerPlateInput {
  plate: string;
  state?: string | null;
  caseNumber?: string | null;
  xref?: string | null;
  reason?: string | null;
  officerName?: string | null;
  officerPhone?: string | null;
  synopsis?: string | null;
  /** Absolute expiry: epoch ms or an ISO 8601 string. */
  expires?: number | string | null;
  /** True when the plate is also entered in state/national systems (expiry ≤ 24 h). */
  inStateSystems: boolean;
  priority?: number;
  shareable?: boolean;
}
