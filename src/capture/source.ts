import type { Frame } from '../domain/types.ts';

/** What a camera source reports to whoever runs it (the capture stage, `alpr camera test`). */
export interface SourceHandlers {
  /** One decoded frame, interleaved RGB. The buffer is the frame's own: it is never reused. */
  onFrame(frame: Frame): void;
  /** A failure the source knows of (ffmpeg exited, a file could not be decoded). It keeps retrying. */
  onError(reason: string): void;
  /** A finite replay reached its end (file camera with loop: false). */
  onEnd(): void;
  /**
   * The decoder reported errors on the frame about to be delivered: on `frames` of it and the frames
   * dropped before it (the last error `line`). A corrupt JPEG or a broken stream decodes into a
   * frame partly grey or smeared.
   */
  onDamaged?(frames: number, line: string): void;
}

/**
 * One camera. `start` resolves once the source runs (it does not wait for the first frame) and
 * throws an AlprError (ALPR_E_CAMERA) when the camera cannot run at all (no ffmpeg, no such
 * folder). A running source restarts itself after failures; `stop` ends it for good.
 */
export interface CameraSource {
  readonly id: string;
  start(handlers: SourceHandlers): Promise<void>;
  stop(): Promise<void>;
  /** Restarts of the decoder, and frames dropped before the main thread took them. */
  stats?(): SourceStats;
}

export interface SourceStats {
  restarts: number;
  dropped: number;
}
