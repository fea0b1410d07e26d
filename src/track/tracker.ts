/**
 * The tracker: pure (no timers, no I/O; time comes in as arguments). Follows each plate across
 * frames per camera and settles one detection per vehicle.
 */
import { foldLookalikes } from '../domain/plate.ts';
import type { PlateStateLook } from '../domain/events.ts';
import type { CtcEvidence, Detection, FrameResult, PlateState } from '../domain/types.ts';
import { consensus, consensusReading, iou, type Observation, textSimilarity, trackState } from './pure.ts';

export interface TrackerConfig {
  leaveMs: number;
  maxTrackMs: number;
  suppressMs: number;
  iouMin: number;
  similarityMin: number;
  minFrames: number;
  topN: number;
  /** Attach each frame's own read (the last MAX_OBS) to the detection. */
  rawReads?: boolean;
}

export const TRACKER_DEFAULTS: TrackerConfig = {
  leaveMs: 2000,
  maxTrackMs: 15_000,
  suppressMs: 10_000,
  iouMin: 0.2,
  similarityMin: 0.6,
  minFrames: 1,
  topN: 10,
};

/** Observations kept per track; past this the least confident is dropped (a parked car). */
const MAX_OBS = 64;

interface Track {
  id: number;
  cameraId: string;
  firstAt: number;
  lastAt: number;
  last: Observation;
  obs: Observation[];
  /** States read later from the legend around the vehicle's plate (addState). */
  states: PlateState[];
  frames: number;
  emitted: boolean;
}

export interface TrackerStats {
  open: number;
  emitted: number;
  suppressed: number;
  /** Tracks dropped for being seen on fewer than minFrames frames. */
  short: number;
}

/** A settled detection with the tracker's id for it (to find its frame again). */
export interface Settled {
  trackId: number;
  detection: Detection;
}

export class Tracker {
  private readonly tracks: Track[] = [];
  /** `camera|folded text` → when it was last emitted. */
  private readonly recent = new Map<string, number>();
  private nextId = 1;
  private readonly counts = { emitted: 0, suppressed: 0, short: 0 };

  constructor(private readonly cfg: TrackerConfig = TRACKER_DEFAULTS) {}

  /** Adds one frame's plates; returns the track id given to each plate, in order. */
  update(result: FrameResult): number[] {
    const at = result.frame.capturedAt;
    const taken = new Set<Track>();
    return result.plates.map((reading) => {
      const o: Observation = { frame: result.frame, reading, ...(result.thorough ? { thorough: true } : {}) };
      const t = this.match(o, taken);
      if (t) {
        taken.add(t);
        this.add(t, o);
        return t.id;
      }
      const n: Track = {
        id: this.nextId++,
        cameraId: result.frame.cameraId,
        firstAt: at,
        lastAt: at,
        last: o,
        obs: [o],
        states: [],
        frames: 1,
        emitted: false,
      };
      this.tracks.push(n);
      taken.add(n);
      return n.id;
    });
  }

  /** Tracks that left (not seen for leaveMs) or ran past maxTrackMs: their detections, settled. */
  expire(now: number): Settled[] {
    const out: Settled[] = [];
    for (let i = this.tracks.length - 1; i >= 0; i--) {
      const t = this.tracks[i]!;
      const left = now - t.lastAt > this.cfg.leaveMs;
      if (left) this.tracks.splice(i, 1);
      if (!t.emitted && (left || t.lastAt - t.firstAt >= this.cfg.maxTrackMs)) {
        t.emitted = true;
        const s = this.settle(t);
        if (s) out.push(s);
      }
    }
    for (const [k, at] of this.recent) if (now - at > this.cfg.suppressMs) this.recent.delete(k);
    return out.reverse();
  }

  /**
   * Settles one open track now (a read on it matched the hot list: the hit must not wait for the
   * vehicle to leave). The track stays open and is not emitted again. Null when already emitted.
   */
  settleNow(trackId: number): Settled | null {
    const t = this.tracks.find((x) => x.id === trackId);
    if (!t || t.emitted) return null;
    t.emitted = true;
    return this.settle(t);
  }

  /**
   * A state read later for one plate of a frame (the legend look): it joins the unsettled track
   * holding that frame's read of the plate, or, where that read was dropped, the camera's track
   * reading a similar text. False when no such track is open (it left, or a hit settled it).
   */
  addState(look: PlateStateLook): boolean {
    const { frame, box, text, state } = look;
    const open = this.tracks.filter((t) => t.cameraId === frame.cameraId && !t.emitted);
    const t =
      open.find((x) => x.obs.some((o) => o.frame.seq === frame.seq && iou(o.reading.box, box) > 0.5)) ??
      open.find((x) => textSimilarity(x.last.reading.text, text) >= this.cfg.similarityMin);
    if (!t) return false;
    t.states.push(state);
    return true;
  }

  /** Settles every open track (on stop). */
  flush(): Settled[] {
    const out: Settled[] = [];
    for (const t of this.tracks.splice(0)) {
      if (t.emitted) continue;
      const s = this.settle(t);
      if (s) out.push(s);
    }
    return out;
  }

  /** Ids of the tracks still open (emitted or not). */
  openIds(): Set<number> {
    return new Set(this.tracks.map((t) => t.id));
  }

  stats(): TrackerStats {
    return { open: this.tracks.length, ...this.counts };
  }

  private match(o: Observation, taken: Set<Track>): Track | null {
    let best: Track | null = null;
    let bestScore = 0;
    for (const t of this.tracks) {
      if (t.cameraId !== o.frame.cameraId || taken.has(t)) continue;
      if (o.frame.capturedAt - t.lastAt > this.cfg.leaveMs) continue;
      const overlap = iou(t.last.reading.box, o.reading.box);
      const sim = textSimilarity(t.last.reading.text, o.reading.text);
      // Overlapping boxes link unless the texts have nothing in common (two plates side by side do
      // not overlap); similar texts link wherever the box is (low fps, a fast pass).
      const linked = (overlap >= this.cfg.iouMin && sim > 0.3) || sim >= this.cfg.similarityMin;
      const score = overlap + sim;
      if (linked && score > bestScore) {
        best = t;
        bestScore = score;
      }
    }
    return best;
  }

  private add(t: Track, o: Observation): void {
    t.lastAt = Math.max(t.lastAt, o.frame.capturedAt);
    t.last = o;
    t.frames++;
    t.obs.push(o);
    dropSurplusEvidence(t.obs);
    if (t.obs.length > MAX_OBS) {
      let worst = 0;
      for (let i = 1; i < t.obs.length; i++) {
        if (t.obs[i]!.reading.confidence < t.obs[worst]!.reading.confidence) worst = i;
      }
      t.obs.splice(worst, 1);
    }
  }

  private settle(t: Track): Settled | null {
    if (t.frames < this.cfg.minFrames) {
      this.counts.short++;
      return null;
    }
    // a thorough look supersedes the screen's reads of the vehicle (as an escalated frame's does)
    const looked = t.obs.filter((o) => o.thorough);
    const voters = looked.length > 0 ? looked : t.obs;
    const c = consensus(voters, this.cfg.topN);
    const key = `${t.cameraId}|${foldLookalikes(c.text)}`;
    const prev = this.recent.get(key);
    if (prev !== undefined && t.lastAt - prev < this.cfg.suppressMs) {
      this.counts.suppressed++;
      return null;
    }
    this.recent.set(key, t.lastAt);
    this.counts.emitted++;
    const reading = consensusReading(c);
    // the state from every frame of the vehicle, the screen's reads and legend looks too
    const state = trackState(t.obs, t.states);
    const detection: Detection = {
      frame: c.best.frame,
      reading: state ? { ...reading, state } : reading,
      frames: t.frames,
      evidence: trackEvidence(voters),
    };
    if (this.cfg.rawReads) {
      detection.frameReads = t.obs.map((o) => ({
        seq: o.frame.seq,
        capturedAt: o.frame.capturedAt,
        text: o.reading.text,
        confidence: o.reading.confidence,
        box: o.reading.box,
      }));
    }
    return { trackId: t.id, detection };
  }
}

/** Frames whose CTC outputs a track keeps (the most confident reads): enough to judge a hit. */
const EVIDENCE_FRAMES = 4;
/** Crops per frame kept with them. */
const EVIDENCE_CROPS = 2;

/** The best frames' CTC outputs of a track, most confident first. */
function trackEvidence(obs: readonly Observation[]): CtcEvidence[][] {
  return obs
    .filter((o) => (o.reading.evidence?.length ?? 0) > 0)
    .sort((a, b) => b.reading.confidence - a.reading.confidence)
    .slice(0, EVIDENCE_FRAMES)
    .map((o) => o.reading.evidence!.slice(0, EVIDENCE_CROPS));
}

/**
 * Keeps CTC outputs on the EVIDENCE_FRAMES most confident observations only (a parked car's track
 * would otherwise hold 64 frames of them).
 */
function dropSurplusEvidence(obs: Observation[]): void {
  const withEv = obs.filter((o) => o.reading.evidence);
  if (withEv.length <= EVIDENCE_FRAMES) return;
  let worst = withEv[0]!;
  for (const o of withEv) if (o.reading.confidence < worst.reading.confidence) worst = o;
  const i = obs.indexOf(worst);
  obs[i] = { ...worst, reading: { ...worst.reading, evidence: undefined } };
}
