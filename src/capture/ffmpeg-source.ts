import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Orientation } from '../domain/types.ts';
import { backoffMs, FrameAssembler, type FfmpegArgsInput, ffmpegArgs, redactUrl } from './pure.ts';
import type { CameraSource, SourceHandlers } from './source.ts';

export interface FfmpegSourceOptions extends FfmpegArgsInput {
  id: string;
  orientation: Orientation;
  log: Logger;
  /** Kill and restart ffmpeg when it has given no frame for this long. */
  stallTimeoutMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The ffmpeg binary; tests may point elsewhere. */
  ffmpegPath?: string;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** A camera decoded by one ffmpeg child process writing raw rgb24 frames to a pipe. */
export class FfmpegSource implements CameraSource {
  readonly id: string;
  private child: Child | null = null;
  private handlers: SourceHandlers | null = null;
  private stopping = false;
  private failures = 0;
  private seq = 0;
  private lastActivity = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private lastStderr = '';
  /** Restarts of ffmpeg since start, for stats. */
  restarts = 0;

  constructor(private readonly o: FfmpegSourceOptions) {
    this.id = o.id;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopping = false;
    await this.spawnOnce();
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
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private spawnOnce(): Promise<void> {
    const { o } = this;
    const assembler = new FrameAssembler(o.width * o.height * 3, (data) => this.frame(data));
    const child: Child = spawn(o.ffmpegPath ?? 'ffmpeg', ffmpegArgs(o), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.lastActivity = Date.now();
    this.lastStderr = '';
    child.stdout.on('data', (chunk: Buffer) => assembler.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      const line = s.trim().split('\n').pop();
      if (line) this.lastStderr = redactUrl(line).slice(0, 200);
    });
    return new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) => {
        const msg = err.code === 'ENOENT' ? 'ffmpeg not found on PATH' : `ffmpeg: ${err.message}`;
        if (this.child === child) this.child = null;
        reject(new AlprError(ErrorCodes.CAMERA, `camera ${o.id}: ${msg}`, { cause: err }));
      });
      child.once('exit', (code, signal) => this.exited(child, code, signal));
    });
  }

  private frame(data: Buffer): void {
    this.lastActivity = Date.now();
    this.failures = 0;
    this.handlers?.onFrame({
      cameraId: this.o.id,
      orientation: this.o.orientation,
      seq: this.seq++,
      capturedAt: this.lastActivity,
      width: this.o.width,
      height: this.o.height,
      data,
    });
  }

  private exited(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = null;
    // 'exit' may or may not follow a spawn 'error'; schedule one restart, not two.
    if (this.stopping || this.restartTimer) return;
    if (this.o.type === 'video' && !this.o.loop && code === 0) {
      this.handlers?.onEnd();
      return;
    }
    const why = `ffmpeg exited (${signal ?? `code ${code}`})${this.lastStderr ? `: ${this.lastStderr}` : ''}`;
    this.handlers?.onError(why);
    const delay = backoffMs(this.failures++, this.o.backoffBaseMs, this.o.backoffMaxMs);
    this.o.log.warn(
      { cameraId: this.o.id, code, signal, delayMs: delay },
      'camera ffmpeg exited; restarting',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restarts++;
      this.spawnOnce().catch((err: unknown) => {
        this.handlers?.onError((err as Error).message);
        this.exited(child, null, null);
      });
    }, delay);
  }

  private checkStall(): void {
    const child = this.child;
    if (!child || this.stopping) return;
    if (Date.now() - this.lastActivity > this.o.stallTimeoutMs) {
      this.o.log.warn({ cameraId: this.o.id }, 'camera stalled; killing ffmpeg');
      this.lastStderr = 'stalled, no frames';
      child.kill('SIGKILL');
    }
  }
}
