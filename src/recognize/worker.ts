/**
 * The recognizer on a worker thread. Inference takes hundreds of ms per frame on one core; on the
 * main thread it would stall GPS, MQTT, health and the watchdog for that long. The proxy keeps the
 * Recognizer contract, so the stage does not know where inference runs.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { PlateReading, RgbImage } from '../domain/types.ts';
import type { RecognizeConfig, Recognizer, ScreenResult } from './ppocr.ts';
import type { RecognizerRole } from './load.ts';
import type { WorkerRequest } from './worker-main.ts';

type Reply = { id: number; result?: unknown; error?: { message: string; code?: string } };

/** Answered pixel buffers a worker's proxy keeps for its next calls (a pool has one or two in flight per worker). */
const SPARE_PIXEL_BUFFERS = 2;

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The worker's boot script. Built, it imports worker-main.js. Run from source, it first registers
 * tsx's loader inside the worker (Node 20 does not carry the parent's loader hooks into workers).
 */
function bootScript(): string {
  const entry = new URL(`./worker-main${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url).href;
  const tsx = FROM_SOURCE
    ? `(await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();`
    : '';
  return `(async () => { ${tsx} await import(${JSON.stringify(entry)}); })().catch((err) => {
    require('node:worker_threads').parentPort.postMessage({ ready: false, error: { message: String(err && err.message || err) } });
  });`;
}

class WorkerRecognizer implements Recognizer {
  private nextId = 1;
  private closed = false;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; pixels?: SharedArrayBuffer }
  >();
  /**
   * Shared pixel buffers whose call has been answered. A frame travels as a copy into one of them:
   * the worker reads it in place, and no 2.7 MB buffer (1280×720 RGB) is allocated per read on
   * either side. Posting the frame's own buffer made the worker allocate its copy: at 2 × 15 fps of
   * real frames (`npm run bench -- cameras`, two runs each) V8's garbage-collector threads took
   * 17-19% of a core against 10-11%, and frame→read p99 was 73-74 ms against 59-62. Reuse matters:
   * with each frame in a SharedArrayBuffer of its own from the camera's pipe thread (no copy at all),
   * a frame is freed only once every thread that saw it has collected its garbage, and RSS grew by
   * 1.2 GB in the bench's first minute.
   */
  private readonly spare: SharedArrayBuffer[] = [];

  constructor(
    private readonly worker: Worker,
    readonly modelVersion: string,
    private readonly log: Logger,
  ) {
    worker.on('message', (m: Reply) => this.settle(m));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`recognizer worker exited (code ${code})`)));
  }

  /** Ends the thread at once, as a crash would (pending calls fail); close() is the orderly way. */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }

  /** False once the worker thread has exited (crashed, killed or closed). */
  alive(): boolean {
    return !this.closed;
  }

  readFrame(img: RgbImage): Promise<PlateReading[]> {
    return this.call('frame', img) as Promise<PlateReading[]>;
  }

  readCrop(img: RgbImage): Promise<PlateReading | null> {
    return this.call('crop', img) as Promise<PlateReading | null>;
  }

  screenFrame(img: RgbImage): Promise<ScreenResult> {
    return this.call('screen', img) as Promise<ScreenResult>;
  }

  thoroughFrame(img: RgbImage): Promise<PlateReading[]> {
    return this.call('thorough', img) as Promise<PlateReading[]>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.call('close');
      this.closed = true;
    } catch {
      // already gone
    }
    this.closed = true;
    await this.worker.terminate();
  }

  private call(kind: WorkerRequest['kind'], img?: RgbImage): Promise<unknown> {
    if (this.closed) return Promise.reject(new AlprError(ErrorCodes.MODEL_LOAD, 'recognizer is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Only the pixels travel, copied (the tracker keeps the frame for its images) into a shared
      // buffer the worker is done with once it answers.
      const msg: WorkerRequest = { id, kind };
      let pixels: SharedArrayBuffer | undefined;
      if (img) {
        pixels = this.pixelBuffer(img.data.length);
        const data = Buffer.from(pixels, 0, img.data.length);
        img.data.copy(data);
        msg.img = { width: img.width, height: img.height, data };
      }
      this.waiting.set(id, { resolve, reject, pixels });
      this.worker.postMessage(msg);
    });
  }

  /** A spare shared buffer of exactly `bytes`, or a new one (frames of a camera keep their size). */
  private pixelBuffer(bytes: number): SharedArrayBuffer {
    const i = this.spare.findIndex((b) => b.byteLength === bytes);
    return i >= 0 ? this.spare.splice(i, 1)[0]! : new SharedArrayBuffer(bytes);
  }

  private release(pixels: SharedArrayBuffer | undefined): void {
    if (!pixels) return;
    this.spare.push(pixels);
    if (this.spare.length > SPARE_PIXEL_BUFFERS) this.spare.shift();
  }

  private settle(m: Reply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    this.release(w.pixels);
    if (m.error) w.reject(new AlprError(ErrorCodes.MODEL_LOAD, m.error.message));
    else w.resolve(m.result);
  }

  private failAll(err: Error): void {
    if (err.message.startsWith('recognizer worker exited')) this.closed = true;
    if (this.waiting.size) this.log.error({ err }, 'recognizer worker failed');
    // a failed worker may still hold its buffers: they are not reused
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/**
 * Starts a worker, loads and warms the models of `role` there (see RecognizerRole), and resolves
 * once it is ready. `background`: the worker's thread runs at the lowest priority
 * (thread-priority.ts), for work that must only take the time other workers leave spare.
 */
export async function createWorkerRecognizer(
  cfg: RecognizeConfig,
  log: Logger,
  role: RecognizerRole = 'all',
  background = false,
): Promise<Recognizer> {
  const worker = new Worker(bootScript(), {
    eval: true,
    execArgv: [],
    workerData: { cfg, logLevel: log.level, role, background },
  });
  const first = await new Promise<{
    ready: boolean;
    modelVersion?: string;
    error?: { message: string; code?: string };
  }>((resolve) => {
    const onExit = (code: number) =>
      resolve({ ready: false, error: { message: `exited during start (code ${code})` } });
    const onError = (err: Error) => resolve({ ready: false, error: { message: err.message } });
    worker.once('message', (m) => {
      worker.off('exit', onExit);
      worker.off('error', onError);
      resolve(m);
    });
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
  if (!first.ready) {
    await worker.terminate();
    // a model file problem keeps its code (run-daemon: no restart); anything else may pass
    const code = first.error?.code === ErrorCodes.MODEL_FILE ? ErrorCodes.MODEL_FILE : ErrorCodes.MODEL_LOAD;
    throw new AlprError(code, `recognizer worker failed to start: ${first.error?.message}`);
  }
  return new WorkerRecognizer(worker, first.modelVersion ?? 'unknown', log);
}
