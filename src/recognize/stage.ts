/** The recognize stage: frames in, frame results out, in real time (stale frames are dropped). */
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import type { Frame, FrameMeta, FrameResult, PlateReading } from '../domain/types.ts';
import { IdleQueue, type LegendLook } from './idle-queue.ts';
import { legendLook } from './legend-look.ts';
import type { Recognizer } from './ppocr.ts';

export interface RecognizeStageDeps {
  bus: Bus;
  log: Logger;
  /** Already created (and warmed up); the stage closes it on stop(). */
  recognizer: Recognizer;
  /** Plates whose top candidate is below this confidence are left out of the result. */
  minConfidence: number;
  /** Plates below minConfidence but at least this confident go in the result's `faint` list (hot-list only). */
  hotlistFloor?: number;
  /**
   * Frames read at the same time (default 1), at most one per camera: a recognizer with that many
   * workers (createWorkerPool) reads the cameras in parallel, and each camera's results stay in order.
   */
  concurrency?: number;
  /**
   * inline (default): an escalating recognizer reads an unsure frame again at once. idle: the
   * screen reads every frame; the unsure ones (one per vehicle, its best view) are read again the
   * thorough way only by a lane the cameras leave spare, so live frames never wait for it.
   */
  escalation?: 'inline' | 'idle';
  /**
   * With idle escalation: a vehicle the screen reads surely but without a state gets a legend look
   * in spare time (its plate's window read as a whole plate, for the state; 'plateState').
   */
  legendLooks?: boolean;
}

/** A camera counts as live while its last frame is at most this old. */
const LIVE_MS = 1000;
/**
 * Thorough looks start at least this far apart: each takes ~0.4-0.8 s of a core (by CPU) that the
 * live lanes share on a small unit (every frame unsure, 2 cameras × 15 fps on 2 cores, `npm run
 * bench -- cameras`: 1 live frame in 900 lost, p99 85 ms; a vehicle seldom passes faster than one
 * every half second). A pool's thorough worker also runs at nice 19 (pool.ts), so on a slower CPU
 * the looks, not the live frames, give way.
 */
const LOOK_GAP_MS = 500;

/** Frames failing in a row before the model light turns red (one can be a bad frame). */
const FAILS_RED = 3;

export interface RecognizeStats {
  processed: number;
  /** Frames replaced by a newer frame of the same camera before they were read. */
  dropped: number;
  errors: number;
  /** Frames the screen was unsure of (escalation: idle). */
  unsure: number;
  /** Frames read again the thorough way in spare time. */
  thorough: number;
  /** Legend looks done, and those that named a state. */
  legendLooks: number;
  statesNamed: number;
}

/**
 * Subscribes to `frame`, reads frames (`concurrency` at a time, one per camera) and emits
 * `frameResult`. While frames are being read, only the newest frame per camera waits: an older
 * pending frame is dropped (and counted), so a slow CPU costs frames, never latency or memory.
 * Cameras take turns (see next()).
 */
export class RecognizeStage implements Stage {
  readonly name = 'recognize';
  readonly critical = true;
  private readonly pending = new Map<string, Frame>();
  private readonly counts: RecognizeStats = {
    processed: 0,
    dropped: 0,
    errors: 0,
    unsure: 0,
    thorough: 0,
    legendLooks: 0,
    statesNamed: 0,
  };
  readonly idle = new IdleQueue();
  private thoroughBusy = 0;
  private lastLookAt = Number.NEGATIVE_INFINITY;
  private readonly lastFrameAt = new Map<string, number>();
  /** Cameras with a frame being read, and the lanes reading them. */
  private readonly inFlight = new Set<string>();
  private readonly lanes = new Set<Promise<void>>();
  private off: (() => void) | null = null;
  private stopped = false;
  /** Frames failed in a row; the model light is red from FAILS_RED on until a frame is read. */
  private failsInRow = 0;

  constructor(private readonly deps: RecognizeStageDeps) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.off = this.deps.bus.on('frame', (f) => this.enqueue(f));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.off?.();
    this.off = null;
    this.pending.clear();
    this.idle.clear();
    await Promise.all(this.lanes);
    await this.deps.recognizer.close();
    this.deps.log.info({ ...this.counts, idle: this.idle.stats }, 'recognize stopped');
  }

  private modelLight(light: 'green' | 'red', reason: string): void {
    this.deps.bus.emit('health', { component: 'model', light, reason, at: Date.now() });
  }

  stats(): Readonly<RecognizeStats> {
    return { ...this.counts };
  }

  private enqueue(frame: Frame): void {
    if (this.stopped) return;
    if (this.pending.has(frame.cameraId)) this.counts.dropped++;
    this.pending.set(frame.cameraId, frame);
    this.lastFrameAt.set(frame.cameraId, Date.now());
    this.kick();
  }

  /** Starts lanes while there is work and a lane free. */
  private kick(): void {
    if (this.stopped) return;
    while (
      this.lanes.size < (this.deps.concurrency ?? 1) &&
      (this.hasNext() || (this.idle.has() && this.mayLook()))
    ) {
      const lane: Promise<void> = this.drain().finally(() => this.lanes.delete(lane));
      this.lanes.add(lane);
    }
  }

  private hasNext(): boolean {
    for (const id of this.pending.keys()) if (!this.inFlight.has(id)) return true;
    return false;
  }

  /**
   * The next frame: cameras take turns. A Map keeps the order in which its keys were first set and
   * a newer frame replaces an older one in place, so the first entry is the camera that has waited
   * longest for its turn, with its newest frame. Taking the frame captured first instead made turns
   * depend on the cameras' phases and read the older of the newest frames (2 cameras at 15 fps, a
   * 200 ms reader, simulated: turns 15/25 instead of 20/20, mean wait 32-51 ms instead of 19-34 ms).
   */
  private next(): Frame | undefined {
    for (const f of this.pending.values()) {
      if (this.inFlight.has(f.cameraId)) continue; // its previous frame is still being read
      this.pending.delete(f.cameraId);
      return f;
    }
    return undefined;
  }

  /**
   * True when a lane may give a waiting unsure frame its thorough look: escalation is idle and,
   * with that look running, a lane is still left for each live camera.
   */
  private mayLook(): boolean {
    if (this.deps.escalation !== 'idle' || !this.deps.recognizer.thoroughFrame) return false;
    const now = Date.now();
    let live = 0;
    for (const at of this.lastFrameAt.values()) if (now - at <= LIVE_MS) live++;
    return now - this.lastLookAt >= LOOK_GAP_MS && this.thoroughBusy < (this.deps.concurrency ?? 1) - live;
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const f = this.next();
      if (f) {
        await this.readLive(f);
        continue;
      }
      if (!this.mayLook()) return;
      const u = this.idle.take(Date.now());
      if (u) {
        await this.readThorough(u);
        continue;
      }
      const l = this.idle.takeLegend(Date.now());
      if (!l) return;
      await this.readLegend(l);
    }
  }

  private result(f: Frame, plates: PlateReading[], t0: number, thorough: boolean): FrameResult {
    const { data: _data, ...meta } = f;
    const frame: FrameMeta = meta;
    return {
      frame,
      plates: plates.filter((p) => p.confidence >= this.deps.minConfidence),
      ...this.faint(plates),
      ms: performance.now() - t0,
      ...(thorough ? { thorough } : {}),
    };
  }

  private faint(plates: PlateReading[]): Pick<FrameResult, 'faint'> {
    const floor = this.deps.hotlistFloor;
    if (floor === undefined || floor >= this.deps.minConfidence) return {};
    const faint = plates.filter((p) => p.confidence >= floor && p.confidence < this.deps.minConfidence);
    return faint.length > 0 ? { faint } : {};
  }

  private async readLive(f: Frame): Promise<void> {
    const rec = this.deps.recognizer;
    this.inFlight.add(f.cameraId);
    this.deps.bus.emit('recognizing', f);
    const t0 = performance.now();
    try {
      let plates: PlateReading[];
      if (this.deps.escalation === 'idle' && rec.screenFrame) {
        const r = await rec.screenFrame(f);
        plates = r.plates;
        if (!r.sure) {
          this.counts.unsure++;
          this.idle.offer(f, r.plates);
        } else if (this.deps.legendLooks && r.plates[0] && !r.plates[0].state) {
          this.idle.offerLegend(f, r.plates[0]);
        }
      } else plates = await rec.readFrame(f);
      this.counts.processed++;
      if (this.failsInRow >= FAILS_RED) this.modelLight('green', `warm (${rec.modelVersion})`);
      this.failsInRow = 0;
      const res = this.result(f, plates, t0, false);
      this.deps.log.debug(
        { cameraId: f.cameraId, seq: f.seq, plates: plates.length, ms: res.ms },
        'frame read',
      );
      this.deps.bus.emit('frameResult', res);
    } catch (err) {
      this.counts.errors++;
      this.deps.log.warn({ err, cameraId: f.cameraId, seq: f.seq }, 'recognition failed');
      if (++this.failsInRow === FAILS_RED) {
        this.modelLight(
          'red',
          `recognition failing: ${(err as Error).message} (${FAILS_RED} frames in a row)`,
        );
      }
    } finally {
      this.inFlight.delete(f.cameraId);
    }
    this.kick();
  }

  /**
   * The legend look: the plate-shaped window around a sure plate read as a whole plate, for the
   * state its legend names ('plateState'); the text the screen read stands.
   */
  private readLegend({ frame, plate }: LegendLook): Promise<void> {
    return this.look(frame, 'legend look failed', async () => {
      const state = await legendLook(this.deps.recognizer, frame, plate.box);
      this.counts.legendLooks++;
      if (!state) return;
      this.counts.statesNamed++;
      const { data: _data, ...meta } = frame;
      this.deps.bus.emit('plateState', { frame: meta, box: plate.box, text: plate.text, state });
    });
  }

  /** The thorough look at a frame the screen was unsure of; its result supersedes the screen's reads. */
  private readThorough(f: Frame): Promise<void> {
    this.deps.bus.emit('looking', f);
    const t0 = performance.now();
    return this.look(f, 'thorough read failed', async () => {
      const plates = await this.deps.recognizer.thoroughFrame!(f);
      this.counts.thorough++;
      this.idle.lookedAt(f.cameraId, plates[0]?.text ?? '', f.capturedAt);
      this.deps.bus.emit('frameResult', this.result(f, plates, t0, true));
    });
  }

  /** One look in spare time: it holds a lane, starts the gap to the next look, and never throws. */
  private async look(f: Frame, failed: string, run: () => Promise<void>): Promise<void> {
    this.thoroughBusy++;
    this.lastLookAt = Date.now();
    try {
      await run();
    } catch (err) {
      this.counts.errors++;
      this.deps.log.warn({ err, cameraId: f.cameraId, seq: f.seq }, failed);
    } finally {
      this.thoroughBusy--;
    }
  }
}
