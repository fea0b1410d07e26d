import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { CameraConfig } from '../config/schema.ts';
import type { Logger } from '../core/log.ts';
import { readSecret } from '../config/secrets.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { FfmpegSource } from './ffmpeg-source.ts';
import { FolderSource } from './folder-source.ts';
import { withCredentials } from './pure.ts';
import type { CameraSource, SourceHandlers, SourceStats } from './source.ts';

const run = promisify(execFile);

/** How long a camera may give no frame before it is red: the config's value, but ≥ 3 frame intervals. */
export function noFrameTimeoutMs(cfg: CameraConfig): number {
  return Math.max(cfg.noFrameTimeoutS * 1000, 3000 / cfg.fps);
}

/** Width and height of a video file's first video stream. */
export async function probeVideoSize(path: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    path,
  ]);
  const [w, h] = stdout.trim().split(',').map(Number);
  if (!w || !h) throw new Error('no video stream');
  return { width: w, height: h };
}

/** A `file` camera: a folder of stills (sharp) or a video file (ffmpeg); which one is found at start. */
class FileCameraSource implements CameraSource {
  readonly id: string;
  private inner: CameraSource | null = null;
  constructor(
    private readonly cfg: Extract<CameraConfig, { type: 'file' }>,
    private readonly log: Logger,
  ) {
    this.id = cfg.id;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const { cfg } = this;
    const st = await stat(cfg.path).catch((err: unknown) => {
      throw new AlprError(ErrorCodes.CAMERA, `camera ${cfg.id}: ${cfg.path} not found`, { cause: err });
    });
    if (st.isDirectory()) {
      this.inner = new FolderSource({ ...cfg, log: this.log });
    } else {
      let size = { width: cfg.width ?? 0, height: cfg.height ?? 0 };
      if (!size.width || !size.height) {
        size = await probeVideoSize(cfg.path).catch((err: unknown) => {
          throw new AlprError(ErrorCodes.CAMERA, `camera ${cfg.id}: cannot read video ${cfg.path}`, {
            cause: err,
          });
        });
      }
      this.inner = new FfmpegSource({
        id: cfg.id,
        orientation: cfg.orientation,
        type: 'video',
        url: cfg.path,
        ...size,
        fps: cfg.fps,
        loop: cfg.loop,
        log: this.log,
        stallTimeoutMs: noFrameTimeoutMs(cfg),
      });
    }
    await this.inner.start(handlers);
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }

  stats(): SourceStats {
    return this.inner?.stats?.() ?? { restarts: 0, dropped: 0 };
  }
}

/** A stream camera whose password comes from a secret file, read when the camera starts. */
class SecretUrlSource implements CameraSource {
  readonly id: string;
  private inner: CameraSource | null = null;
  constructor(
    private readonly cfg: Extract<CameraConfig, { type: 'rtsp' | 'mjpeg' | 'v4l2' }>,
    private readonly log: Logger,
    private readonly credentialsDir: string | undefined,
  ) {
    this.id = cfg.id;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const { cfg } = this;
    let url = cfg.url;
    if (cfg.credentials) {
      try {
        url = withCredentials(url, readSecret(this.credentialsDir, cfg.credentials).toString('utf8'));
      } catch (err) {
        throw new AlprError(ErrorCodes.CAMERA, `camera ${cfg.id}: ${(err as Error).message}`, { cause: err });
      }
    }
    this.inner = streamSource(cfg, url, this.log);
    await this.inner.start(handlers);
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }

  stats(): SourceStats {
    return this.inner?.stats?.() ?? { restarts: 0, dropped: 0 };
  }
}

function streamSource(
  cfg: Extract<CameraConfig, { type: 'rtsp' | 'mjpeg' | 'v4l2' }>,
  url: string,
  log: Logger,
): FfmpegSource {
  return new FfmpegSource({
    id: cfg.id,
    orientation: cfg.orientation,
    type: cfg.type,
    url,
    width: cfg.width,
    height: cfg.height,
    fps: cfg.fps,
    log,
    stallTimeoutMs: noFrameTimeoutMs(cfg),
    backoffMaxMs: cfg.restartMaxS * 1000,
    inputFormat: cfg.inputFormat,
  });
}

/**
 * The source for one camera config, chosen by `type`. Opens nothing until `start`.
 * `credentialsDir` is where a camera's `credentials` secret file is read from.
 */
export function createSource(cfg: CameraConfig, log: Logger, credentialsDir?: string): CameraSource {
  if (cfg.type === 'file') return new FileCameraSource(cfg, log);
  if (cfg.credentials) return new SecretUrlSource(cfg, log, credentialsDir);
  return streamSource(cfg, cfg.url, log);
}
