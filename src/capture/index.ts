import type { CameraConfig } from '../config/schema.ts';
import type { Bus } from '../core/bus.ts';
import { feeding } from '../core/crash-guard.ts';
import type { Logger } from '../core/log.ts';
import { RejectCounter } from '../core/rejects.ts';
import type { Stage } from '../core/stage.ts';
import type { Frame, Light } from '../domain/types.ts';
import { createSource, noFrameTimeoutMs } from './create.ts';
import {
  backoffMs,
  blackoutRects,
  CameraHealth,
  FpsMeter,
  fillBlack,
  HEALTH_TICK_MS,
  type HealthChange,
  pictureSignature,
} from './pure.ts';
import type { CameraSource } from './source.ts';

export type { CameraSource, SourceHandlers, SourceStats } from './source.ts';
export { createSource } from './create.ts';

export interface CaptureStageDeps {
  bus: Bus;
  log: Logger;
  cameras: readonly CameraConfig[];
  /** Folder of secret files: a camera's `credentials` ("user:password") is read from it at start. */
  credentialsDir?: string | undefined;
  /** Source factory; the default picks by `type`. Tests inject fakes. */
  createSource?: (cfg: CameraConfig, log: Logger, credentialsDir?: string) => CameraSource;
}

export interface CameraStats {
  id: string;
  light: Light;
  reason: string;
  /** Frames received since start. */
  framesIn: number;
  /** Frames per second received over the last 5 s. */
  fpsIn: number;
  /** Frames of this camera read by recognition since start ('frameResult' events). */
  processed: number;
  /** Frames per second read by recognition over the last 5 s (the rest were dropped, newest kept). */
  fpsProcessed: number;
  /** Epoch ms of the last frame, or null. */
  lastFrameAt: number | null;
  /** Frames the capture thread dropped because the main thread was busy (newest kept). */
  dropped: number;
  /** Decoder (ffmpeg) restarts since start, and attempts to start a camera that failed to start. */
  restarts: number;
}

interface Camera {
  cfg: CameraConfig;
  source: CameraSource;
  health: CameraHealth;
  meter: FpsMeter;
  framesIn: number;
  processedMeter: FpsMeter;
  processed: number;
  lastFrameAt: number | null;
  /** The source's dropped-frame count at the last frame (the drops since count in its health). */
  droppedSeen: number;
  running: boolean;
  /** Start attempts that failed in a row; the next retry waits backoffMs(startFailures). */
  startFailures: number;
  startRetries: number;
  retryTimer: NodeJS.Timeout | null;
  lastStartError: string | null;
  /** Errors of a running source (a frame it could not read): the first logged, the rest counted. */
  errors: RejectCounter;
}

/**
 * Runs every enabled camera and emits its frames ('frame') and its light ('health', component
 * `camera:<id>`). A camera that cannot start is red and the others keep working; it is tried again
 * with backoff (a USB camera plugged in late, an IP camera that boots after the car PC, a secret
 * provisioned later) and turns green when its frames flow.
 */
export class CaptureStage implements Stage {
  readonly name = 'capture';
  readonly critical = false;
  private cameras: Camera[] = [];
  private ticker: NodeJS.Timeout | null = null;
  private stopped = false;
  private offResults: (() => void) | null = null;

  constructor(private readonly deps: CaptureStageDeps) {}

  async start(): Promise<void> {
    const make = this.deps.createSource ?? createSource;
    const now = Date.now();
    this.stopped = false;
    this.cameras = this.deps.cameras
      .filter((c) => c.enabled)
      .map((cfg) => ({
        cfg,
        source: make(cfg, this.deps.log, this.deps.credentialsDir),
        health: new CameraHealth(cfg.id, noFrameTimeoutMs(cfg), now),
        meter: new FpsMeter(5000),
        framesIn: 0,
        processedMeter: new FpsMeter(5000),
        processed: 0,
        lastFrameAt: null,
        droppedSeen: 0,
        running: false,
        startFailures: 0,
        startRetries: 0,
        retryTimer: null,
        lastStartError: null,
        // a folder gone or a stream broken fails every frame: a line per minute, counted
        errors: new RejectCounter(this.deps.log.child({ cameraId: cfg.id }), 'camera error'),
      }));
    for (const cam of this.cameras) this.report(cam, cam.health.current);
    // fps processed per camera, from whoever reads the frames (recognize), over the bus.
    const byId = new Map(this.cameras.map((c) => [c.cfg.id, c]));
    this.offResults = this.deps.bus.on('frameResult', (r) => {
      const cam = byId.get(r.frame.cameraId);
      if (!cam) return;
      cam.processed++;
      cam.processedMeter.tick(Date.now());
    });
    await Promise.all(this.cameras.map((cam) => this.startCamera(cam)));
    this.ticker = setInterval(() => this.tick(), HEALTH_TICK_MS);
    this.ticker.unref();
    const up = this.cameras.filter((c) => c.running).length;
    this.deps.log.info({ cameras: this.cameras.length, running: up }, 'capture started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offResults?.();
    this.offResults = null;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    await Promise.allSettled(
      this.cameras.map(async (cam) => {
        if (cam.retryTimer) clearTimeout(cam.retryTimer);
        cam.retryTimer = null;
        cam.running = false;
        await cam.source.stop();
      }),
    );
  }

  stats(): CameraStats[] {
    const now = Date.now();
    return this.cameras.map((c) => {
      const src = c.source.stats?.() ?? { restarts: 0, dropped: 0 };
      return {
        id: c.cfg.id,
        ...c.health.current,
        framesIn: c.framesIn,
        fpsIn: Math.round(c.meter.fps(now) * 10) / 10,
        processed: c.processed,
        fpsProcessed: Math.round(c.processedMeter.fps(now) * 10) / 10,
        lastFrameAt: c.lastFrameAt,
        dropped: src.dropped,
        restarts: src.restarts + c.startRetries,
      };
    });
  }

  private async startCamera(cam: Camera): Promise<void> {
    try {
      await cam.source.start({
        onFrame: (frame) => feeding('capture', `camera:${cam.cfg.id}`, () => this.frame(cam, frame)),
        onError: (reason) => {
          this.report(cam, cam.health.note(reason, Date.now()));
          cam.errors.reject(reason);
        },
        onEnd: () => this.report(cam, cam.health.end()),
        onDamaged: (frames, line) => cam.health.damaged(Date.now(), line, frames),
      });
    } catch (err) {
      const reason = (err as Error).message;
      // Error once, then only when the reason changes: a camera missing for a whole shift would
      // otherwise log a line per retry (every restartMaxS).
      const level = cam.startFailures === 0 ? 'error' : reason !== cam.lastStartError ? 'warn' : 'debug';
      cam.lastStartError = reason;
      this.deps.log[level](
        { cameraId: cam.cfg.id, reason, attempt: cam.startFailures + 1 },
        'camera failed to start',
      );
      // The light's reason names the camera already: "camera x: failed to start: …", said once.
      const why = reason.replace(`camera ${cam.cfg.id}: `, '');
      this.report(cam, cam.health.fail(`failed to start: ${why}`));
      await cam.source.stop().catch(() => undefined);
      this.retryLater(cam);
      return;
    }
    if (this.stopped) {
      // stop() ran while this start was under way: it found nothing running to stop.
      await cam.source.stop().catch(() => undefined);
      return;
    }
    cam.running = true;
    if (cam.startFailures > 0) {
      this.deps.log.info({ cameraId: cam.cfg.id, attempts: cam.startFailures + 1 }, 'camera started');
      cam.health.started(Date.now());
    }
    cam.startFailures = 0;
    cam.lastStartError = null;
  }

  /** Tries a camera that failed to start again, after 1 s, 2 s, 4 s… up to its restart cap. */
  private retryLater(cam: Camera): void {
    if (this.stopped) return;
    const maxMs = 'restartMaxS' in cam.cfg ? cam.cfg.restartMaxS * 1000 : 30_000;
    const delay = backoffMs(cam.startFailures++, 1000, maxMs);
    cam.retryTimer = setTimeout(() => {
      cam.retryTimer = null;
      if (this.stopped) return;
      cam.startRetries++;
      void this.startCamera(cam);
    }, delay);
  }

  private frame(cam: Camera, frame: Frame): void {
    const { roi, masks } = cam.cfg;
    if (roi || masks.length > 0)
      fillBlack(frame.data, frame.width, blackoutRects(frame.width, frame.height, roi, masks));
    const now = Date.now();
    cam.framesIn++;
    cam.lastFrameAt = now;
    cam.meter.tick(now);
    // the frames dropped before this one count in the damaged share, as their damage does
    const dropped = cam.source.stats?.().dropped ?? 0;
    const stands = 1 + Math.max(0, dropped - cam.droppedSeen);
    cam.droppedSeen = dropped;
    // a live camera's picture is watched for a freeze (a replay folder may repeat a still)
    const picture = cam.cfg.type === 'file' ? undefined : pictureSignature(frame.data);
    this.report(cam, cam.health.frame(now, stands, picture));
    this.deps.bus.emit('frame', frame);
  }

  private tick(): void {
    const now = Date.now();
    for (const cam of this.cameras) if (cam.running) this.report(cam, cam.health.tick(now));
  }

  private report(cam: Camera, change: HealthChange | null): void {
    if (!change) return;
    const log =
      change.light === 'red'
        ? this.deps.log.warn.bind(this.deps.log)
        : this.deps.log.info.bind(this.deps.log);
    log({ cameraId: cam.cfg.id, light: change.light, reason: change.reason }, 'camera health');
    this.deps.bus.emit('health', {
      component: `camera:${cam.cfg.id}`,
      light: change.light,
      reason: change.reason,
      at: Date.now(),
    });
  }
}
