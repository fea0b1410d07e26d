/** PaddleOCR PP-OCRv4 text detector + a plate reader (and a second reader) on onnxruntime-node. */
import * as ort from 'onnxruntime-node';
import type { Config } from '../config/schema.ts';
import type { ResolvedRecognize } from '../config/sections/recognize.ts';
import type { Box, CtcEvidence, PlateReading, PlateState, RgbImage } from '../domain/types.ts';
import { isDateStamp, serialShaped } from '../domain/plate.ts';
import {
  clipBox,
  iou,
  type LabelScratch,
  joinSplitLines,
  labelComponents,
  labelScratch,
  nms,
  padBox,
  scaleBox,
  unclipBox,
  upsampleQuarterMap,
} from './boxes.ts';
import { beamSearch, type Decoded, greedyDecode, maskProbs, type Scored } from './ctc.ts';
import {
  dropStackedWords,
  framePlatePrior,
  framePositionPrior,
  inLinesOfLettering,
  isPlausibleText,
  isPlausibleTextBox,
  looksSure,
  mergeCandidates,
  orderAlternates,
  type Ranked,
  rescore,
  stackedOn,
} from './plates.ts';
import { asPlate, type PlateClassifier, plateWeight } from './plate-cls.ts';
import type { ReaderSpec } from './reader.ts';
import { applyState, type PlacedLine, stateOfLines } from './state.ts';
import { cutImage, DET_NORM, detInputSize, recInputSize, regionToChw } from './tensor.ts';

export type RecognizeConfig = Config['recognize'];

/** The recognizer contract every backend implements. */
export interface Recognizer {
  readonly modelVersion: string;
  /** Finds and reads every plausible plate on a frame, best first. */
  readFrame(img: RgbImage): Promise<PlateReading[]>;
  /** Reads an image that is already a plate crop; null when nothing plate-like is read. */
  readCrop(img: RgbImage): Promise<PlateReading | null>;
  /**
   * An escalating recognizer's two halves, for reading the unsure frames later: the screen alone
   * (with whether its best read is sure), and the thorough pipeline alone.
   */
  screenFrame?(img: RgbImage): Promise<ScreenResult>;
  thoroughFrame?(img: RgbImage): Promise<PlateReading[]>;
  close(): Promise<void>;
}

export interface ScreenResult {
  plates: PlateReading[];
  /** False: the thorough pipeline would read this frame again (see CascadeRecognizer). */
  sure: boolean;
}

const BEAM = 16;
/**
 * The second reader reads at most this many unsure groups of a frame, the best-ranked first (a
 * frame seldom shows more plates; the rest are signs and overlays): ~20 ms less per dev frame.
 */
const SECOND_MAX = 3;
/**
 * Crop variants read per detected text region, as [x, y] padding shares of the unclipped box
 * (negative trims); `recognize.cropVariants` says how many, in this order. The unclip already pads
 * the characters by ~0.75 of their height; trimming 10% top and bottom keeps state names and
 * slogans out. Measured on the dev frames (models/README.md): 1 variant 73.0% top-1 at ~240 ms
 * CPU per frame, 2 variants 73.9% (~330 ms), 3 variants 74.8% (~465 ms).
 */
export const FRAME_VARIANTS: readonly [number, number][] = [
  [0, -0.1],
  [0.05, -0.1],
  [0.1, -0.05],
];
/**
 * Text lines looked at on a whole-plate image, at least: the registration, the state's name, a
 * slogan, a county, stickers. `recognize.maxRegions` is about frames (the screen reads fewer).
 */
const CROP_LINES = 6;
/** Detector input long side for whole-plate crops (they are ~320 px wide; 960 costs 2.5× more for +0.3 points). */
const CROP_DET_SIDE = 320;
/**
 * Variants for an image that is a whole plate: the full image and two middle bands (which drop
 * the state name and slogan and give the characters more of the 48-px input height).
 */
const CROP_VARIANTS: readonly Box[] = [
  { x: 0, y: 0, w: 1, h: 1 },
  { x: 0, y: 0.12, w: 1, h: 0.76 },
  { x: 0, y: 0.2, w: 1, h: 0.6 },
];

interface RegionRead {
  beams: Scored[];
  greedy: Decoded;
  ev: CtcEvidence;
}

/**
 * Crops' CTC outputs kept on a reading (for scoring hot-list entries against them): a few
 * suffice, and each is a few kB that crosses the worker boundary and sits in the tracker.
 */
const MAX_EVIDENCE = 4;
/** Plates of a frame that carry evidence, best first (the rest are signs and overlays). */
const EVIDENCE_PLATES = 3;

interface Region {
  /** Text box in frame pixels. */
  box: Box;
  score: number;
}

/** A recognizer session with the reader spec that says how to feed it and decode it. */
export interface ReaderModel {
  rec: ort.InferenceSession;
  reader: ReaderSpec;
}

interface FramePlate {
  reading: PlateReading;
  ranked: Ranked[];
  /**
   * framePositionPrior of its region, times plateWeight of the classifier's probability where it
   * ranks (of 0 for lettering in lines).
   */
  where: number;
  /** Orders the plates of a frame. */
  score: number;
  /** The plate classifier's probability for its region, where it scored it. */
  plateP?: number;
  /** A like-sized text line sits right above or below its region (inLinesOfLettering). */
  inLines: boolean;
}

function plateScore(ranked: readonly Ranked[], detScore: number, where: number): number {
  return ranked[0]!.score * detScore * where * framePlatePrior(ranked[0]!.text);
}

/** PP-OCRv4's detector with a text reader (`recognize.reader`: PP-OCRv4's recognizer or plate-rec). */
export class PpocrRecognizer implements Recognizer {
  readonly modelVersion: string;
  /** The detector's input tensor and map work arrays of the last frame, for the next (detect). */
  private detWork: {
    input: Float32Array;
    map: Float32Array | null;
    label: LabelScratch;
    filled: Uint8Array | null;
  } | null = null;

  constructor(
    private readonly cfg: ResolvedRecognize,
    private readonly det: ort.InferenceSession,
    private readonly rec: ort.InferenceSession,
    private readonly reader: ReaderSpec,
    /** A second reader for uncertain reads (`recognize.secondReader`); its candidates are merged. */
    private readonly second?: ReaderModel,
    /** A general text reader for the words around the registration, to tell the state. */
    private readonly legend?: ReaderModel,
    /** Plates, not text: weighs each region's rank by how plate-like its window is. */
    private readonly plateCls?: PlateClassifier,
  ) {
    this.modelVersion = second ? `${reader.modelVersion}+${second.reader.modelVersion}` : reader.modelVersion;
  }

  /**
   * Text regions the detector finds, in image pixels, best first, at most `limit`. On a frame
   * (`frame`), with recognize.skipBorderRegions (the screen), regions touching the frame's border
   * are left out. `lines`, where given, gets the box of every region found, past `limit` too.
   */
  async detect(
    img: RgbImage,
    maxSide = this.cfg.detMaxSide,
    frame = false,
    limit = this.cfg.maxRegions,
    lines?: Box[],
  ): Promise<Region[]> {
    const { w, h } = detInputSize(img.width, img.height, maxSide);
    // The input tensor and the map's work arrays are reused from frame to frame: ~7 MB a frame
    // at 768 px, which allocated anew kept V8's collector threads at ~30% of a core at 2 × 15
    // fps (15% reused; the cameras bench on real frames). A call that overlaps another one takes
    // fresh ones.
    const work = this.detWork;
    this.detWork = null;
    const buf = work?.input.length === 3 * w * h ? work.input : new Float32Array(3 * w * h);
    const input = regionToChw(img, { x: 0, y: 0, w: img.width, h: img.height }, w, h, DET_NORM, w, buf);
    let res: ort.Tensor;
    try {
      const out = await this.det.run({
        [this.det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]),
      });
      res = out[this.det.outputNames[0]!]!;
    } catch (err) {
      this.detWork = work;
      throw err;
    }
    const mh = res.dims[2];
    // plate-det maps at a quarter of the input's resolution; PP-OCRv4's at full resolution
    const quarter = mh === h / 4;
    // the 4×4 blocks the sparse upsampling computes: labelling skips the others
    const blocks = (w * h) / 16;
    const filled = quarter
      ? work?.filled?.length === blocks
        ? work.filled
        : new Uint8Array(blocks)
      : undefined;
    const map = quarter
      ? upsampleQuarterMap(res.data as Float32Array, w / 4, h / 4, this.cfg.detThreshold, work?.map, filled)
      : (res.data as Float32Array);
    const label = labelScratch(w * h, work?.label);
    const components = labelComponents(map, w, h, this.cfg.detThreshold, label, filled);
    this.detWork = {
      input: buf,
      map: map === res.data ? (work?.map ?? null) : map,
      label,
      filled: filled ?? work?.filled ?? null,
    };
    const sx = img.width / w;
    const sy = img.height / h;
    const regions: Region[] = [];
    for (const c of components) {
      if (c.score < this.cfg.detBoxThreshold || Math.min(c.box.w, c.box.h) < 3) continue;
      const box = clipBox(scaleBox(unclipBox(c.box, this.cfg.unclipRatio), sx, sy), img.width, img.height);
      if (!box || !isPlausibleTextBox(box)) continue;
      if (frame && this.cfg.skipBorderRegions && framePositionPrior(box, img.width, img.height) < 1) continue;
      regions.push({ box, score: c.score });
    }
    const kept = nms(
      regions,
      (r) => r.box,
      (r) => r.score,
      0.3,
    );
    if (lines) for (const r of kept) lines.push(r.box);
    return kept.slice(0, limit);
  }

  /**
   * A frame's text regions: at detMaxSide, plus (recognize.detSecondSide) a coarser pass whose
   * regions are added where they overlap none of the first's: a plate close to the camera, too big
   * for the fine pass's map, is one line at the coarse scale. A line the detector split in two
   * (touching or overlapping pieces of one height) is joined (joinSplitLines).
   */
  async detectFrame(img: RgbImage, lines?: Box[]): Promise<Region[]> {
    const fine = await this.detect(img, this.cfg.detMaxSide, true, this.cfg.maxRegions, lines);
    const side = this.cfg.detSecondSide;
    if (!side || side >= this.cfg.detMaxSide) return joinSplitLines(fine);
    const coarse = await this.detect(img, side, true, this.cfg.maxRegions, lines);
    const merged = [...fine, ...coarse.filter((c) => !fine.some((f) => iou(f.box, c.box) > 0.3))];
    return joinSplitLines(merged).slice(0, this.cfg.maxRegions);
  }

  /**
   * Runs the recognizer on crops one at a time (onnxruntime on one thread costs more per crop in a
   * batch: 5.7 ms alone, 7.3 ms each in a batch of 5, measured on plate-rec); one candidate list
   * (and greedy decode) per crop.
   */
  private async recognize(
    img: RgbImage,
    crops: readonly Box[],
    model: ReaderModel = { rec: this.rec, reader: this.reader },
  ): Promise<RegionRead[]> {
    const { height: H, maxW, minTensorW, padW, norm, groups, weights } = model.reader;
    const K = groups.length + 1;
    const reads: RegionRead[] = [];
    for (const c of crops) {
      const { w, tensorW } = recInputSize(c.w, c.h, H, maxW, minTensorW, padW);
      const input = regionToChw(img, c, w, H, norm, tensorW);
      const feeds = { [model.rec.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, H, tensorW]) };
      const out = (await model.rec.run(feeds))[model.rec.outputNames[0]!]!;
      const [, T, C] = out.dims as [number, number, number];
      const probs = maskProbs(out.data as Float32Array, T, C, groups, weights);
      reads.push({
        beams: beamSearch(probs, T, K, BEAM),
        greedy: greedyDecode(probs, T, K),
        ev: { T, K, probs },
      });
    }
    return reads;
  }

  /**
   * Per-character confidences come from a crop whose best path spells the top text; when none
   * does (the text won on summed alignments), each character gets the geometric mean.
   */
  private toReading(
    box: Box,
    detScore: number,
    ranked: Ranked[],
    reads: RegionRead[],
    state: PlateState | null = null,
    evidence: readonly CtcEvidence[] = reads.map((r) => r.ev),
  ): PlateReading | null {
    const top = ranked[0];
    if (!top) return null;
    const candidates = orderAlternates(ranked)
      .slice(0, this.cfg.topN)
      .map((r) => ({ text: r.text, confidence: r.prob }));
    const perChar = top.text.length > 0 ? top.prob ** (1 / top.text.length) : 0;
    const path = reads.find((r) => r.greedy.text === top.text)?.greedy;
    return {
      box,
      text: top.text,
      confidence: top.prob,
      candidates,
      charConfidences: path ? path.charConfidences : [...top.text].map(() => perChar),
      detScore,
      state,
      evidence: evidence.slice(0, MAX_EVIDENCE),
    };
  }

  /** True when a read deserves a second look: a plausible plate the first reader is unsure of. */
  private unsure(ranked: readonly Ranked[]): boolean {
    const top = ranked[0];
    return top !== undefined && top.prob < this.cfg.secondBelow;
  }

  /**
   * Reads groups of crops (the crops of one group show the same text). Eager: every crop by the
   * first reader. Lazy: only each group's first crop; the rest only for unsure groups. Then the
   * unsure groups, best-ranked first and at most SECOND_MAX, get the rest of their crops and the
   * second reader's read of all of them; the candidates of every read of a group are merged.
   */
  private async readGroups(
    img: RgbImage,
    groups: readonly (readonly Box[])[],
    opts: {
      lazy: boolean;
      keep?: (t: string) => boolean;
      rank?: (group: number, ranked: readonly Ranked[]) => number;
      /** Asked before each group is read, with the groups read so far: true leaves it unread. */
      skip?: (group: number, done: readonly { ranked: readonly Ranked[] }[]) => Promise<boolean>;
    },
  ): Promise<{ ranked: Ranked[]; reads: RegionRead[] }[]> {
    const { keep, rank, lazy, skip } = opts;
    const first = groups.map((g) => (lazy ? g.slice(0, 1) : g));
    const out: { ranked: Ranked[]; reads: RegionRead[] }[] = [];
    for (let i = 0; i < first.length; i++) {
      if (await skip?.(i, out)) {
        out.push({ ranked: [], reads: [] });
        continue;
      }
      const mine = await this.recognize(img, first[i]!);
      out.push({ ranked: rescore(mergeCandidates(mine.map((x) => x.beams)), keep), reads: mine });
    }
    const unsure = out
      .map((g, i) => ({ i, score: this.unsure(g.ranked) ? (rank?.(i, g.ranked) ?? 1) : -1 }))
      .filter((g) => g.score >= 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, SECOND_MAX)
      .map((g) => g.i);
    for (const i of unsure) {
      const more = [
        ...(lazy ? await this.recognize(img, groups[i]!.slice(1)) : []),
        ...(this.second ? await this.recognize(img, groups[i]!, this.second) : []),
      ];
      if (more.length === 0) continue;
      const all = [...out[i]!.reads, ...more];
      out[i] = { ranked: rescore(mergeCandidates(all.map((x) => x.beams)), keep), reads: all };
    }
    return out;
  }

  async readFrame(img: RgbImage): Promise<PlateReading[]> {
    // every text line the detector finds, read or not: the lettering a read may stand in (below)
    const lines: Box[] = [];
    const regions = await this.detectFrame(img, lines);
    const variants = FRAME_VARIANTS.slice(0, this.cfg.cropVariants);
    const crops = regions.map((r) =>
      variants.map(([fx, fy]) => clipBox(padBox(r.box, fx, fy), img.width, img.height)!),
    );
    // where a region lies, and (with the classifier) whether it is a plate at all
    const plateP =
      this.plateCls && this.cfg.plateClassifier
        ? await this.plateCls.score(
            img,
            regions.map((r) => r.box),
          )
        : null;
    const where = regions.map(
      (r, i) => framePositionPrior(r.box, img.width, img.height) * (plateP ? plateWeight(plateP[i]!) : 1),
    );
    // the screen's gate scores regions too (afterSure): asPlate reuses its scores
    const gateScores = new Map<number, number>();
    const groups = await this.readGroups(img, crops, {
      lazy: true,
      keep: isPlausibleText,
      rank: (i, ranked) => plateScore(ranked, regions[i]!.score, where[i]!),
      skip: this.afterSure(img, regions, gateScores),
    });
    const plates: FramePlate[] = [];
    regions.forEach((r, i) => {
      const state = this.cfg.state ? stackedState(regions, groups, i) : null;
      const ranked = applyState(groups[i]!.ranked, state);
      const reading = this.toReading(r.box, r.score, ranked, groups[i]!.reads, state);
      // a region whose best read is the video's date stamp is an overlay, not a plate
      if (!reading || isDateStamp(reading.text)) return;
      // a word or a number in lines of like-sized lettering is no registration, whatever its
      // window: it ranks (and below, weighs) as a region the classifier rejects
      const inLines = inLinesOfLettering(r.box, lines);
      const w =
        inLines && !serialShaped(reading.text)
          ? framePositionPrior(r.box, img.width, img.height) * plateWeight(0)
          : where[i]!;
      plates.push({
        reading,
        ranked,
        where: w,
        score: plateScore(ranked, r.score, w),
        plateP: plateP?.[i] ?? gateScores.get(i),
        inLines,
      });
    });
    plates.sort((a, b) => b.score - a.score);
    await this.refine(img, plates.slice(0, this.cfg.refine));
    const kept = dropStackedWords(plates.map((p) => ({ ...p, text: p.reading.text, box: p.reading.box })));
    kept.sort((a, b) => b.score - a.score);
    const weigh = this.cfg.weighWords === true;
    if (weigh) await this.scoreWords(img, kept);
    return kept.map((p, i) => {
      const reading = weigh ? asPlate(p.reading, p.inLines ? 0 : p.plateP) : p.reading;
      return i < EVIDENCE_PLATES ? reading : { ...reading, evidence: undefined };
    });
  }

  /**
   * The classifier's word on each plate whose text is not shaped like a serial (asPlate), where
   * the frame's ranking did not score its region already (the screen): one batched run.
   */
  private async scoreWords(img: RgbImage, plates: FramePlate[]): Promise<void> {
    if (!this.plateCls) return;
    // lettering in lines is weighed as a rejected region whatever its window scores (readFrame)
    const todo = plates.filter((p) => p.plateP === undefined && !p.inLines && !serialShaped(p.reading.text));
    if (todo.length === 0) return;
    const p = await this.plateCls.score(
      img,
      todo.map((t) => t.reading.box),
    );
    todo.forEach((t, i) => {
      t.plateP = p[i];
    });
  }

  /**
   * The screen's gate (recognize sureStop): once a region reads sure, a later region is read only
   * where the plate classifier takes it for a plate or it is stacked on the sure plate (its legend
   * names the state). The classifier scores the unread regions once, on the first gated one.
   */
  private afterSure(
    img: RgbImage,
    regions: readonly Region[],
    /** Filled with the scores it gets, by region index. */
    plateP: Map<number, number>,
  ): ((i: number, done: readonly { ranked: readonly Ranked[] }[]) => Promise<boolean>) | undefined {
    const below = this.cfg.sureStop;
    const cls = this.plateCls;
    if (!below || !cls) return undefined;
    let sure: Box | null = null;
    let scored = false;
    return async (i, done) => {
      if (!sure) {
        const j = done.findIndex((g, k) => {
          const top = g.ranked[0];
          return top !== undefined && looksSure(top.text, top.prob, below, regions[k]!.box, img);
        });
        if (j < 0) return false;
        sure = regions[j]!.box;
      }
      if (stackedOn(regions[i]!.box, sure)) return false;
      if (!scored) {
        scored = true;
        const rest = regions.slice(i);
        const p = await cls.score(
          img,
          rest.map((r) => r.box),
        );
        for (let k = 0; k < p.length; k++) plateP.set(i + k, p[k]!);
      }
      return (plateP.get(i) ?? 1) < this.cfg.screenGate;
    };
  }

  /**
   * A second look at the best plates of a frame: the plate-shaped window around each text line
   * (15% wider each side, 60% of the line's height above and below: the whole plate, no more) is
   * read as a whole-plate crop (readCrop: bands plus the detector's line at crop scale), and its
   * candidates are merged with the first read's.
   */
  private async refine(img: RgbImage, plates: FramePlate[]): Promise<void> {
    for (const p of plates) {
      const win = clipBox(padBox(p.reading.box, 0.15, 0.6), img.width, img.height);
      const second = win ? await this.readCropRanked(cutImage(img, win)) : null;
      if (!second || second.ranked.length === 0) continue;
      const state = second.state ?? p.reading.state ?? null;
      const ranked = applyState(rescore(mergeCandidates([p.ranked, second.ranked]), isPlausibleText), state);
      const evidence = [...(p.reading.evidence ?? []).slice(0, 2), ...second.reads.map((r) => r.ev)];
      const reading = this.toReading(
        p.reading.box,
        p.reading.detScore ?? 1,
        ranked,
        second.reads,
        state,
        evidence,
      );
      if (!reading) continue;
      p.reading = reading;
      p.ranked = ranked;
      p.score = plateScore(ranked, p.reading.detScore ?? 1, p.where);
    }
  }

  async readCrop(img: RgbImage): Promise<PlateReading | null> {
    const { ranked, reads, state } = await this.readCropRanked(img);
    return this.toReading({ x: 0, y: 0, w: img.width, h: img.height }, 1, ranked, reads, state);
  }

  /** Whole-plate reading: the crop's variants read as one group. */
  private async readCropRanked(
    img: RgbImage,
  ): Promise<{ ranked: Ranked[]; reads: RegionRead[]; state: PlateState | null }> {
    const crops = CROP_VARIANTS.map((v) =>
      clipBox(scaleBox(v, img.width, img.height), img.width, img.height),
    ).filter((b): b is Box => b !== null);
    // plus the largest text line the detector finds on the crop (the registration, usually)
    const lines = (
      await this.detect(img, CROP_DET_SIDE, false, Math.max(this.cfg.maxRegions, CROP_LINES))
    ).sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h);
    const line = lines[0];
    if (line) crops.push(clipBox(padBox(line.box, ...FRAME_VARIANTS[0]!), img.width, img.height)!);
    const group = (await this.readGroups(img, [crops], { lazy: false }))[0] ?? { ranked: [], reads: [] };
    const state = this.cfg.state ? await this.readState(img, lines) : null;
    return { ranked: applyState(group.ranked, state), reads: group.reads, state };
  }

  /** The state from every text line on a whole-plate image, read by the legend reader. */
  private async readState(img: RgbImage, lines: readonly Region[]): Promise<PlateState | null> {
    if (!this.legend || lines.length === 0) return null;
    const reads = await this.recognize(
      img,
      lines.map((l) => l.box),
      this.legend,
    );
    return stateOfLines(lines.map((l, i) => ({ text: reads[i]!.greedy.text, box: l.box })));
  }

  async close(): Promise<void> {
    const shared = this.legend && (this.legend.rec === this.second?.rec || this.legend.rec === this.rec);
    const legend = shared ? undefined : this.legend?.rec;
    await Promise.all([
      this.det.release(),
      this.rec.release(),
      this.second?.rec.release(),
      legend?.release(),
    ]);
  }
}

/**
 * A frame plate's state from the first reader's reads of the lines stacked on it (a state name or
 * legend printed above or below the registration): no extra model run.
 */
function stackedState(
  regions: readonly Region[],
  groups: readonly { reads: readonly RegionRead[] }[],
  i: number,
): PlateState | null {
  const placed: PlacedLine[] = [];
  regions.forEach((r, j) => {
    if (j !== i && stackedOn(r.box, regions[i]!.box))
      placed.push({ text: groups[j]!.reads[0]?.greedy.text ?? '', box: r.box });
  });
  return placed.length > 0 ? stateOfLines(placed) : null;
}
