import type { Logger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Orientation } from '../domain/types.ts';
import { type PipeMessage, PipeReader } from './pipe-worker.ts';
import { backoffMs, type FfmpegArgsInput, ffmpegCommand, redactUrl } from './pure.ts';
import type { CameraSource, SourceHandlers, SourceStats } from './source.ts';

export interface FfmpegSourceOptions extends FfmpegArgsInput {
  id: string;
  orientation: Orientation;
  log: Logger;
  /** Kill and restart ffmpeg when it has given no frame for this long. */
  stallTimeoutMs: number;
  /**
   * How long a fresh ffmpeg may take to its first frame before it is killed (RTSP: connect, probe,
   * wait for a key frame). Default 15 s, never less than stallTimeoutMs. The light still turns red
   * after the camera's noFrameTimeoutS; this only keeps the restart loop from killing every attempt.
   */
  startupGraceMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The ffmpeg binary; tests may point elsewhere. */
  ffmpegPath?: string;
  /** Replaces the ffmpeg arguments (tests run a fake producer). */
  args?: readonly string[];
}

/**
 * A camera decoded by one ffmpeg child process writing raw rgb24 frames to a pipe, read by a
 * worker thread (see pipe-worker.ts). Restarts ffmpeg with backoff when it exits or stalls.
 */
export class FfmpegSource implements CameraSource {
  readonly id: string;
  private reader: PipeReader | null = null;
  private handlers: SourceHandlers | null = null;
  private stopping = false;
  private alive = false;
  private failures = 0;
  private seq = 0;
  private lastActivity = 0;
  private framesThisRun = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  /** How long the run that checkStall killed had been silent (its exit reports that, not SIGKILL). */
  private stalledMs: number | null = null;
  private spawnWait: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private exitWaiters: (() => void)[] = [];
  private readonly counts = { restarts: 0, dropped: 0 };
  /** Where frames come from, for debug logs: the URL without credentials. */
  private readonly source: string;

  constructor(private readonly o: FfmpegSourceOptions) {
    this.id = o.id;
    this.source = redactUrl(o.url);
  }

  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopping = false;
    this.reader = new PipeReader(this.o.width * this.o.height * 3, (m) => this.message(m));
    try {
      await this.spawnOnce();
    } catch (err) {
      await this.stop();
      throw err;
    }
    const every = Math.min(1000, Math.max(100, this.o.stallTimeoutMs / 4));
    this.stallTimer = setInterval(() => this.checkStall(), every);
    this.stallTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.restartTimer = null;
    this.stallTimer = null;
    const reader = this.reader;
    this.reader = null;
    if (!reader) return;
    if (this.alive) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      reader.kill('SIGTERM');
      const hard = setTimeout(() => reader.kill('SIGKILL'), 2000);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      clearTimeout(hard);
    }
    await reader.close();
  }

  stats(): SourceStats {
    return { ...this.counts };
  }

  private spawnOnce(): Promise<void> {
    const { o } = this;
    this.lastActivity = Date.now();
    this.framesThisRun = 0;
    return new Promise<void>((resolve, reject) => {
      this.spawnWait = { resolve, reject };
      // A URL's user:password goes to ffmpeg through its stdin, never its (world-readable) argv.
      const cmd = o.args ? { args: [...o.args], stdin: null } : ffmpegCommand(o);
      this.reader?.spawn(o.ffmpegPath ?? 'ffmpeg', cmd.args, cmd.stdin);
    });
  }

  private message(m: PipeMessage): void {
    switch (m.type) {
      case 'frame':
        // told before the frame, so the frame's light already knows of its damage
        if (m.damaged > 0) this.handlers?.onDamaged?.(m.damaged, stderrLine(m.errLine));
        this.frame(m.data, m.at, m.dropped);
        return;
      case 'spawned':
        this.alive = true;
        this.spawnWait?.resolve();
        this.spawnWait = null;
        return;
      case 'error': {
        const msg = m.code === 'ENOENT' ? 'ffmpeg not found' : `ffmpeg: ${m.message}`;
        const err = new AlprError(ErrorCodes.CAMERA, `camera ${this.o.id}: ${msg}`);
        if (this.spawnWait) {
          this.spawnWait.reject(err);
          this.spawnWait = null;
          return;
        }
        this.failed(msg);
        return;
      }
      case 'exit':
        this.alive = false;
        for (const w of this.exitWaiters.splice(0)) w();
        if (this.o.type === 'video' && !this.o.loop && m.code === 0) {
          if (!this.stopping) this.handlers?.onEnd();
          return;
        }
        if (this.stalledMs !== null) {
          // killed by checkStall: the cause is the silence, not the signal it got for it
          const s = Math.round(this.stalledMs / 1000);
          this.stalledMs = null;
          this.failed(`stalled: no frame for ${s} s, ffmpeg restarted`);
          return;
        }
        this.failed(
          `ffmpeg exited (${m.signal ?? `code ${m.code}`})${m.stderr ? `: ${stderrLine(m.stderr)}` : ''}`,
        );
    }
  }

  private frame(data: ArrayBuffer, at: number, dropped: number): void {
    this.lastActivity = at;
    this.failures = 0;
    this.framesThisRun++;
    this.counts.dropped += dropped;
    try {
      this.handlers?.onFrame({
        cameraId: this.o.id,
        orientation: this.o.orientation,
        seq: this.seq++,
        capturedAt: at,
        width: this.o.width,
        height: this.o.height,
        data: Buffer.from(data),
        source: this.source,
      });
    } finally {
      // Always ask for the next frame, or a throwing handler would stop the camera for good.
      this.reader?.ack();
    }
  }

  private failed(why: string): void {
    // 'exit' may or may not follow a spawn 'error': schedule one restart, not two.
    if (this.stopping || this.restartTimer) return;
    this.handlers?.onError(why);
    const delay = backoffMs(this.failures++, this.o.backoffBaseMs, this.o.backoffMaxMs);
    this.o.log.warn({ cameraId: this.o.id, reason: why, delayMs: delay }, 'camera ffmpeg failed; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.counts.restarts++;
      this.spawnOnce().catch((err: unknown) => this.failed((err as Error).message));
    }, delay);
  }

  private checkStall(): void {
    if (!this.alive || this.stopping) return;
    const limit =
      this.framesThisRun > 0
        ? this.o.stallTimeoutMs
        : Math.max(this.o.stallTimeoutMs, this.o.startupGraceMs ?? 15_000);
    if (Date.now() - this.lastActivity > limit) {
      this.o.log.warn({ cameraId: this.o.id }, 'camera stalled; killing ffmpeg');
      this.stalledMs = Date.now() - this.lastActivity;
      this.reader?.kill('SIGKILL');
    }
  }
}

/**
 * ffmpeg's last stderr line for a light's reason: any URL password hidden, and the "pipe:0: "
 * prefix gone (a camera with a password is opened through a script on stdin, see ffmpegCommand).
 */
function stderrLine(line: string): string {
  return redactUrl(line)
    .replace(/^pipe:0: /, '')
    .slice(0, 200);
}
