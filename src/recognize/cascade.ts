/**
 * Escalation (`recognize.escalateBelow`): a cheap first pass on every image, and the images whose
 * best read it is unsure of (or that it reads nothing on) again through the full pipeline. Most
 * frames show a plate the first pass reads with confidence, so the full pipeline's cost is paid
 * on the hard ones only.
 */
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { PlateReading, RgbImage } from '../domain/types.ts';
import { iou } from './boxes.ts';
import { looksSure } from './plates.ts';
import type { Recognizer, ScreenResult } from './ppocr.ts';

/**
 * The screen's best read is taken as it is when it is confident (at least `below`) and looks like
 * a plate (plates.ts, looksSure). A confident `2014` in a corner is a timestamp or a sticker, and
 * the plate may be elsewhere.
 */
export function screenSure(best: PlateReading | null | undefined, below: number, frame?: RgbImage): boolean {
  return !!best && looksSure(best.text, best.confidence, below, best.box, frame);
}

/**
 * The full pipeline's read of a crop, with the state the screen named where the full pipeline
 * names none or is less sure of its own: the two passes find the plate's text lines with
 * different detectors and each can read the legend the other misses; their reads of the state
 * are evidence of the same plate.
 */
export function withState(full: PlateReading, screen: PlateReading | null | undefined): PlateReading {
  const a = full.state ?? null;
  const b = screen?.state ?? null;
  if (!b || (a && a.confidence >= b.confidence)) return full;
  return { ...full, state: b };
}

export class CascadeRecognizer implements Recognizer {
  readonly modelVersion: string;
  /** Images read, and how many of them went to the full pipeline. */
  readonly stats = { images: 0, escalated: 0 };

  constructor(
    private readonly first: Recognizer,
    private readonly full: Recognizer,
    private readonly below: number,
    private readonly release: () => Promise<void>,
  ) {
    this.modelVersion = full.modelVersion;
  }

  private sure(best: PlateReading | null | undefined, frame?: RgbImage): boolean {
    return screenSure(best, this.below, frame);
  }

  async readFrame(img: RgbImage): Promise<PlateReading[]> {
    const quick = await this.screenFrame(img);
    if (quick.sure) return quick.plates;
    const again = await this.thoroughFrame(img);
    if (again.length === 0) return quick.plates;
    // each plate keeps a state the screen named on the same plate (withState)
    const full = again.map((p) =>
      withState(
        p,
        quick.plates.find((q) => iou(q.box, p.box) > 0.3),
      ),
    );
    // the screen's reads of regions the full pipeline did not find stay, after its own: in the car
    // they were reads already, of vehicles the thorough look does not supersede (tracker.ts)
    return [...full, ...quick.plates.filter((q) => !again.some((p) => iou(q.box, p.box) > 0.3))];
  }

  async screenFrame(img: RgbImage): Promise<ScreenResult> {
    this.stats.images++;
    const plates = await this.first.readFrame(img);
    return { plates, sure: this.sure(plates[0], img) };
  }

  async thoroughFrame(img: RgbImage): Promise<PlateReading[]> {
    this.stats.escalated++;
    return this.full.readFrame(img);
  }

  async readCrop(img: RgbImage): Promise<PlateReading | null> {
    this.stats.images++;
    const quick = await this.first.readCrop(img);
    if (this.sure(quick)) return quick;
    this.stats.escalated++;
    const again = await this.full.readCrop(img);
    return again ? withState(again, quick) : quick;
  }

  async close(): Promise<void> {
    await this.release();
  }
}

/**
 * The screen alone: what a screen worker of an idle-escalating pool loads (pool.ts). screenFrame
 * answers as a CascadeRecognizer's does; readFrame is the screen's read, never sent on (the pool
 * sends the unsure frames to a worker with the whole cascade); crops it does not read, since the
 * state's legend reader that a crop read needs is not loaded.
 */
export class ScreenRecognizer implements Recognizer {
  readonly modelVersion: string;

  constructor(
    private readonly first: Recognizer,
    private readonly below: number,
    private readonly release: () => Promise<void>,
  ) {
    this.modelVersion = first.modelVersion;
  }

  readFrame(img: RgbImage): Promise<PlateReading[]> {
    return this.first.readFrame(img);
  }

  async screenFrame(img: RgbImage): Promise<ScreenResult> {
    const plates = await this.first.readFrame(img);
    return { plates, sure: screenSure(plates[0], this.below, img) };
  }

  async readCrop(): Promise<PlateReading | null> {
    throw new AlprError(ErrorCodes.RECOGNIZER_ROLE, 'a screen recognizer reads frames only, not crops');
  }

  async close(): Promise<void> {
    await this.release();
  }
}
