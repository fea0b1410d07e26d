/**
 * Which frames get a look when the recognizer has time (`recognize.escalation: idle`).
 * The screen reads every frame; a frame it is unsure of is offered here for the thorough look. Per
 * camera one frame waits: the vehicle's best view so far (the largest plate read), and a vehicle
 * whose plate text has already had a thorough look is not offered again. A frame too old to still
 * join its track is dropped.
 *
 * A sure frame whose plate names no state is offered for the legend look (the plate's window read
 * as a whole plate, for its state): the same rules, one vehicle once, and only when no thorough
 * look waits (a thorough look reads the legend too). Pure: time comes in as arguments.
 */
import { textSimilarity } from '../domain/plate.ts';
import type { Frame, PlateReading } from '../domain/types.ts';

export interface IdleQueueConfig {
  /** A waiting frame older than this (capture to now) is dropped: its track may have settled. */
  maxAgeMs: number;
  /** A plate text looked at within this long is the same vehicle: not looked at again. */
  lookedMs: number;
  /** Texts at least this similar (look-alikes folded) are the same plate. */
  sameText: number;
}

export const IDLE_QUEUE_DEFAULTS: IdleQueueConfig = {
  // the tracker settles a vehicle 2 s after its last frame; the thorough read takes ~0.3 s
  maxAgeMs: 1500,
  // about a vehicle's pass in front of one camera
  lookedMs: 10_000,
  sameText: 0.6,
};

interface Waiting {
  frame: Frame;
  text: string;
  /** Height of the screen's best plate box: bigger is a closer, better view. */
  size: number;
  /** The screen's best plate (its box is the legend look's window). */
  plate?: PlateReading;
}

/** A sure frame's plate whose state is to be read. */
export interface LegendLook {
  frame: Frame;
  plate: PlateReading;
}

export interface IdleQueueStats {
  offered: number;
  /** Offers for a vehicle already looked at. */
  alreadyLooked: number;
  /** Frames replaced by a better view of the same vehicle or by another vehicle's frame. */
  replaced: number;
  /** Frames that grew too old before a lane was free. */
  expired: number;
  taken: number;
  /** Sure frames offered for the legend look, and the looks taken. */
  legendOffered: number;
  legendTaken: number;
}

export class IdleQueue {
  private readonly waiting = new Map<string, Waiting>();
  private readonly legends = new Map<string, Waiting>();
  private readonly looked = new Map<string, { text: string; at: number }[]>();
  /** Texts whose legend was looked at, per camera. */
  private readonly named = new Map<string, { text: string; at: number }[]>();
  readonly stats: IdleQueueStats = {
    offered: 0,
    alreadyLooked: 0,
    replaced: 0,
    expired: 0,
    taken: 0,
    legendOffered: 0,
    legendTaken: 0,
  };

  constructor(private readonly cfg: IdleQueueConfig = IDLE_QUEUE_DEFAULTS) {}

  /** Offers a frame the screen was unsure of, with the screen's plates (best first). */
  offer(frame: Frame, plates: readonly PlateReading[]): void {
    this.stats.offered++;
    const best = plates[0];
    const text = best?.text ?? '';
    if (text && this.seen(this.looked, frame.cameraId, text, frame.capturedAt)) {
      this.stats.alreadyLooked++;
      return;
    }
    if (this.place(this.waiting, { frame, text, size: best?.box.h ?? 0 })) this.stats.replaced++;
  }

  /**
   * Offers a sure frame's best plate for the legend look, where the screen named no state: once
   * per vehicle (its best view), never for a text a thorough look has read.
   */
  offerLegend(frame: Frame, plate: PlateReading): void {
    const at = frame.capturedAt;
    if (this.seen(this.named, frame.cameraId, plate.text, at)) return;
    if (this.seen(this.looked, frame.cameraId, plate.text, at)) return;
    this.stats.legendOffered++;
    this.place(this.legends, { frame, text: plate.text, size: plate.box.h, plate });
  }

  /** True when a frame waits (some may have expired by the time take() is called). */
  has(): boolean {
    return this.waiting.size > 0 || this.legends.size > 0;
  }

  /** The frame that has waited longest for a thorough look, or undefined; it counts as looked at. */
  take(now: number): Frame | undefined {
    const pick = this.oldest(this.waiting, now);
    if (!pick) return undefined;
    this.stats.taken++;
    if (pick.text) this.remember(this.looked, pick.frame.cameraId, pick.text, pick.frame.capturedAt);
    return pick.frame;
  }

  /**
   * The legend look that has waited longest, or undefined; none while a thorough look waits (it
   * reads the legend as well, and its vehicle is the less sure one).
   */
  takeLegend(now: number): LegendLook | undefined {
    if (this.waiting.size > 0) return undefined;
    for (;;) {
      const pick = this.oldest(this.legends, now);
      if (!pick) return undefined;
      const { cameraId, capturedAt } = pick.frame;
      // a thorough look at the same vehicle since it was offered has read its legend
      if (this.seen(this.looked, cameraId, pick.text, capturedAt)) continue;
      this.stats.legendTaken++;
      this.remember(this.named, cameraId, pick.text, capturedAt);
      return { frame: pick.frame, plate: pick.plate! };
    }
  }

  /** After a thorough read: its text too counts as looked at (the screen may read it that way next). */
  lookedAt(cameraId: string, text: string, at: number): void {
    if (text) this.remember(this.looked, cameraId, text, at);
  }

  clear(): void {
    this.waiting.clear();
    this.legends.clear();
    this.looked.clear();
    this.named.clear();
  }

  /** True when a text like `text` was looked at (in `list`) on this camera within lookedMs of `at`. */
  private seen(
    list: Map<string, { text: string; at: number }[]>,
    cam: string,
    text: string,
    at: number,
  ): boolean {
    const recent = (list.get(cam) ?? []).filter((l) => at - l.at <= this.cfg.lookedMs);
    list.set(cam, recent);
    return recent.some((l) => textSimilarity(l.text, text) >= this.cfg.sameText);
  }

  private remember(
    list: Map<string, { text: string; at: number }[]>,
    cam: string,
    text: string,
    at: number,
  ): void {
    const l = list.get(cam) ?? [];
    l.push({ text, at });
    list.set(cam, l);
  }

  /**
   * Puts `w` in its camera's place: the same vehicle keeps its best view, another vehicle's newer
   * frame replaces the older (which had its turn). True when a waiting frame was replaced.
   */
  private place(map: Map<string, Waiting>, w: Waiting): boolean {
    const cur = map.get(w.frame.cameraId);
    if (cur && textSimilarity(cur.text, w.text) >= this.cfg.sameText && cur.size > w.size) return false;
    map.set(w.frame.cameraId, w);
    return cur !== undefined;
  }

  /** Removes and returns the entry waiting longest; entries too old are dropped on the way. */
  private oldest(map: Map<string, Waiting>, now: number): Waiting | undefined {
    let pick: Waiting | undefined;
    for (const [cam, w] of map) {
      if (now - w.frame.capturedAt > this.cfg.maxAgeMs) {
        map.delete(cam);
        if (map === this.waiting) this.stats.expired++;
        continue;
      }
      if (!pick || w.frame.capturedAt < pick.frame.capturedAt) pick = w;
    }
    if (pick) map.delete(pick.frame.cameraId);
    return pick;
  }
}
