/** The track stage: per-frame reads in ('frameResult'), one detection per vehicle out ('detection'). */
import { type TrackConfig, trackSection } from '../config/sections/track.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import type { Box, Detection, Frame, FrameResult, PlateReading } from '../domain/types.ts';
import { cutImages } from './images.ts';
import { type Settled, Tracker, type TrackerStats } from './tracker.ts';

export { type Settled, Tracker, TRACKER_DEFAULTS, type TrackerConfig } from './tracker.ts';

export interface TrackStageDeps {
  bus: Bus;
  log: Logger;
  /** The `track` config section; defaults apply to anything left out. */
  config?: Partial<TrackConfig>;
  /**
   * True when a frame's read matches the hot list. Its track is then settled at once (the hit is
   * raised from that detection without waiting for the vehicle to leave), and not emitted again.
   */
  isHot?: (reading: PlateReading) => boolean;
}

export interface TrackStageStats extends TrackerStats {
  /** Detections emitted without images because their frame was no longer kept. */
  imagesMissing: number;
}

/** Frames kept per track for its images: the most confident reads. */
const FRAMES_PER_TRACK = 3;

/**
 * Follows plates across frames and emits one 'detection' per vehicle when it leaves (or has been in
 * view for maxTrackMs), with the consensus text, alternatives and, when `images`, the plate crop and
 * overview cut from the best frame. Keeps the last `keepFrames` frames per camera to do that.
 */
export class TrackStage implements Stage {
  readonly name = 'track';
  readonly critical = false;
  private cfg: TrackConfig | null = null;
  private tracker: Tracker | null = null;
  private offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly recent = new Map<string, Frame[]>();
  /** Frames being read (announced by 'recognizing'), by `camera:seq`, until their result comes. */
  private readonly reading = new Map<string, Frame>();
  /** The frames thorough looks read now ('looking'), the same way, one per camera. */
  private readonly looking = new Map<string, Frame>();
  /** Per track, its best-read frames kept for the images, with the plate's box on each. */
  private readonly trackFrames = new Map<number, { frame: Frame; conf: number; box: Box }[]>();
  private readonly settledIds = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  private imagesMissing = 0;

  constructor(private readonly deps: TrackStageDeps) {}

  async start(): Promise<void> {
    const cfg = trackSection.parse(this.deps.config ?? {});
    this.cfg = cfg;
    this.tracker = new Tracker(cfg);
    this.offs.push(this.deps.bus.on('frameResult', (r) => this.onResult(r)));
    this.offs.push(this.deps.bus.on('plateState', (s) => this.tracker?.addState(s)));
    if (cfg.images) {
      this.offs.push(this.deps.bus.on('frame', (f) => this.keep(f)));
      this.offs.push(this.deps.bus.on('recognizing', (f) => this.hold(f)));
      this.offs.push(this.deps.bus.on('looking', (f) => this.hold(f, this.looking)));
    }
    this.timer = setInterval(() => this.tick(Date.now()), Math.min(250, cfg.leaveMs / 4));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tracker) for (const s of this.tracker.flush()) this.emit(s);
    await Promise.allSettled([...this.inFlight]);
    this.recent.clear();
    this.reading.clear();
    this.looking.clear();
    this.trackFrames.clear();
    this.settledIds.clear();
    if (this.tracker) this.deps.log.info({ ...this.stats() }, 'track stopped');
  }

  stats(): TrackStageStats {
    const t = this.tracker?.stats() ?? { open: 0, emitted: 0, suppressed: 0, short: 0 };
    return { ...t, imagesMissing: this.imagesMissing };
  }

  /** Runs the leave/timeout check now (the stage's timer calls it every ≤ 250 ms). */
  tick(now: number): void {
    if (!this.tracker) return;
    for (const s of this.tracker.expire(now)) this.emit(s);
    const open = this.tracker.openIds();
    for (const id of this.trackFrames.keys()) if (!open.has(id)) this.trackFrames.delete(id);
    for (const id of this.settledIds) if (!open.has(id)) this.settledIds.delete(id);
  }

  private keep(f: Frame): void {
    let list = this.recent.get(f.cameraId);
    if (!list) {
      list = [];
      this.recent.set(f.cameraId, list);
    }
    list.push(f);
    if (list.length > this.cfg!.keepFrames) list.shift();
  }

  /**
   * Holds the frame recognition reads now until its result: with a slow or busy reader the result
   * comes after more than keepFrames newer frames (measured: 5 of 46 detections without images
   * at 680 ms p99 latency with keepFrames 6 at 15 fps). One per camera: a camera's next frame read
   * replaces it (a read that failed gives no result). Frames of thorough looks ('looking') are held
   * apart, in `looking`, the same way: a look takes a second or more and ends long after its frame.
   */
  private hold(f: Frame, map: Map<string, Frame> = this.reading): void {
    for (const [k, held] of map) if (held.cameraId === f.cameraId) map.delete(k);
    map.set(`${f.cameraId}:${f.seq}`, f);
  }

  private onResult(r: FrameResult): void {
    const k = `${r.frame.cameraId}:${r.frame.seq}`;
    const map = r.thorough ? this.looking : this.reading;
    const held = map.get(k);
    map.delete(k);
    const { isHot } = this.deps;
    // a faint plate (below the read threshold) joins the frame's plates only when it is hot
    const hotFaint = isHot && r.faint ? r.faint.filter((p) => isHot(p)) : [];
    if (hotFaint.length > 0) r = { ...r, plates: [...r.plates, ...hotFaint] };
    const ids = this.tracker!.update(r);
    this.keepTrackFrames(r, ids, held);
    if (!isHot) return;
    ids.forEach((id, i) => {
      if (this.settledIds.has(id) || !isHot(r.plates[i]!)) return;
      const s = this.tracker!.settleNow(id);
      if (s) this.emit(s);
    });
  }

  private keepTrackFrames(r: FrameResult, ids: readonly number[], held: Frame | undefined): void {
    if (!this.cfg!.images || ids.length === 0) return;
    const frame = held ?? this.recent.get(r.frame.cameraId)?.find((f) => f.seq === r.frame.seq);
    if (!frame) return;
    ids.forEach((id, i) => {
      if (this.settledIds.has(id)) return;
      const list = this.trackFrames.get(id) ?? [];
      if (!list.some((e) => e.frame === frame))
        list.push({ frame, conf: r.plates[i]!.confidence, box: r.plates[i]!.box });
      list.sort((a, b) => b.conf - a.conf);
      list.length = Math.min(list.length, FRAMES_PER_TRACK);
      this.trackFrames.set(id, list);
    });
  }

  private emit(s: Settled): void {
    const frames = this.trackFrames.get(s.trackId);
    this.trackFrames.delete(s.trackId);
    this.settledIds.add(s.trackId);
    let det = s.detection;
    // The detection's own frame, or else (a thorough read comes a second or more after its frame,
    // which is no longer kept) the vehicle's best-read frame that is: the detection then takes
    // that frame's time and box, so its photo, time and place agree.
    const own = frames?.find((e) => e.frame.seq === det.frame.seq);
    const kept = own ?? frames?.[0];
    if (!this.cfg!.images || !kept) {
      if (this.cfg!.images) this.imagesMissing++;
      this.publish(det);
      return;
    }
    if (!own) {
      const { data: _data, ...meta } = kept.frame;
      det = { ...det, frame: meta, reading: { ...det.reading, box: kept.box } };
    }
    const { frame } = kept;
    const p = cutImages(frame, det.reading.box)
      .then(
        (img) => this.publish({ ...det, ...img }),
        (err: unknown) => {
          this.deps.log.debug({ err, cameraId: det.frame.cameraId }, 'cutting detection images failed');
          this.imagesMissing++;
          this.publish(det);
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private publish(det: Detection): void {
    this.deps.log.debug(
      { cameraId: det.frame.cameraId, frames: det.frames, text: det.reading.text },
      'vehicle detection',
    );
    this.deps.bus.emit('detection', det);
  }
}
