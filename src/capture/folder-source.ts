import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Logger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Orientation } from '../domain/types.ts';
import { replayOrder } from './pure.ts';
import type { CameraSource, SourceHandlers } from './source.ts';

export interface FolderSourceOptions {
  id: string;
  orientation: Orientation;
  /** A folder of JPEG/PNG frames, replayed in name order. */
  path: string;
  fps: number;
  loop: boolean;
  log: Logger;
}

/**
 * The shipped fake camera: replays a folder of still images at `fps`, decoded with sharp.
 * A tick that comes while the previous image is still decoding is skipped, never queued.
 */
export class FolderSource implements CameraSource {
  readonly id: string;
  private files: string[] = [];
  private next = 0;
  private seq = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private handlers: SourceHandlers | null = null;

  constructor(private readonly o: FolderSourceOptions) {
    this.id = o.id;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.o.path);
    } catch (err) {
      throw new AlprError(ErrorCodes.CAMERA, `camera ${this.o.id}: cannot read folder ${this.o.path}`, {
        cause: err,
      });
    }
    this.files = replayOrder(names).map((n) => join(this.o.path, n));
    if (this.files.length === 0) {
      throw new AlprError(ErrorCodes.CAMERA, `camera ${this.o.id}: no .jpg/.png frames in ${this.o.path}`);
    }
    this.handlers = handlers;
    this.next = 0;
    this.timer = setInterval(() => void this.tick(), 1000 / this.o.fps);
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.handlers = null;
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.handlers) return;
    // Only a looping replay gets here past the end: a finite one stops after its last frame.
    if (this.next >= this.files.length) this.next = 0;
    const file = this.files[this.next++]!;
    this.busy = true;
    try {
      const { data, info } = await sharp(file)
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
      this.handlers?.onFrame({
        cameraId: this.o.id,
        orientation: this.o.orientation,
        seq: this.seq++,
        capturedAt: Date.now(),
        width: info.width,
        height: info.height,
        data,
        source: file,
      });
    } catch (err) {
      this.o.log.debug({ cameraId: this.o.id, file, err }, 'frame decode failed');
      this.handlers?.onError(`cannot decode ${file}: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
    if (!this.o.loop && this.next >= this.files.length) {
      const h = this.handlers;
      await this.stop();
      h?.onEnd();
    }
  }
}
