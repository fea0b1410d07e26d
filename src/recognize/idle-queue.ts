/**
 * Which frames get the thorough look when the recognizer has time (`recognize.escalation: idle`).
 * The screen reads every frame; a frame it is unsure of is offered here. Per camera one frame
 * waits: the vehicle's best view so far (the largest plate read), and a vehicle whose plate text
 * has already had a thorough look is not offered again. A frame too old to still join its track
 * is dropped. Pure: time comes in as arguments.
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
}

export class IdleQueue {
  private readonly waiting = new Map<string, Waiting>();
  private readonly looked = new Map<string, { text: string; at: number }[]>();
  readonly stats: IdleQueueStats = { offered: 0, alreadyLooked: 0, replaced: 0, expired: 0, taken: 0 };

  constructor(private readonly cfg: IdleQueueConfig = IDLE_QUEUE_DEFAULTS) {}

  /** Offers a frame the screen was unsure of, with the screen's plates (best first). */
  offer(frame: Frame, plates: readonly PlateReading[]): void {
    this.stats.offered++;
    const best = plates[0];
    const text = best?.text ?? '';
    const at = frame.capturedAt;
    const seen = (this.looked.get(frame.cameraId) ?? []).filter((l) => at - l.at <= this.cfg.lookedMs);
    this.looked.set(frame.cameraId, seen);
    if (text && seen.some((l) => textSimilarity(l.text, text) >= this.cfg.sameText)) {
      this.stats.alreadyLooked++;
      return;
    }
    const size = best?.box.h ?? 0;
    const cur = this.waiting.get(frame.cameraId);
    if (cur) {
      const same = textSimilarity(cur.text, text) >= this.cfg.sameText;
      // the same vehicle: keep its best view; another vehicle: the newer one (the older had its turn)
      if (same && cur.size > size) return;
      this.stats.replaced++;
    }
    this.waiting.set(frame.cameraId, { frame, text, size });
  }

  /** True when a frame waits (some may have expired by the time take() is called). */
  has(): boolean {
    return this.waiting.size > 0;
  }

  /** The frame that has waited longest, or undefined; it counts as looked at. */
  take(now: number): Frame | undefined {
    let pick: Waiting | undefined;
    for (const [cam, w] of this.waiting) {
      if (now - w.frame.capturedAt > this.cfg.maxAgeMs) {
        this.waiting.delete(cam);
        this.stats.expired++;
        continue;
      }
      if (!pick || w.frame.capturedAt < pick.frame.capturedAt) pick = w;
    }
    if (!pick) return undefined;
    this.waiting.delete(pick.frame.cameraId);
    this.stats.taken++;
    if (pick.text) {
      const list = this.looked.get(pick.frame.cameraId) ?? [];
      list.push({ text: pick.text, at: pick.frame.capturedAt });
      this.looked.set(pick.frame.cameraId, list);
    }
    return pick.frame;
  }

  /** After a thorough read: its text too counts as looked at (the screen may read it that way next). */
  lookedAt(cameraId: string, text: string, at: number): void {
    if (!text) return;
    const list = this.looked.get(cameraId) ?? [];
    list.push({ text, at });
    this.looked.set(cameraId, list);
  }

  clear(): void {
    this.waiting.clear();
    this.looked.clear();
  }
}
