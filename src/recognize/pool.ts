/**
 * Several recognizer workers behind one Recognizer: each call goes to the worker with the fewest
 * calls in flight. With one worker per free core, frames of different cameras are read at the same
 * time (the stage keeps one frame per camera in flight, see RecognizeStage).
 */
import type { Logger } from '../core/log.ts';
import type { PlateReading, RgbImage } from '../domain/types.ts';
import type { RecognizeConfig, Recognizer } from './ppocr.ts';
import { createWorkerRecognizer } from './worker.ts';

class WorkerPool implements Recognizer {
  readonly modelVersion: string;
  private readonly busy: number[];

  constructor(private readonly workers: Recognizer[]) {
    this.modelVersion = workers[0]!.modelVersion;
    this.busy = workers.map(() => 0);
  }

  readFrame(img: RgbImage): Promise<PlateReading[]> {
    return this.on((r) => r.readFrame(img));
  }

  readCrop(img: RgbImage): Promise<PlateReading | null> {
    return this.on((r) => r.readCrop(img));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  /** Busy counts per worker (for tests and stats). */
  load(): readonly number[] {
    return [...this.busy];
  }

  private async on<T>(call: (r: Recognizer) => Promise<T>): Promise<T> {
    let i = 0;
    for (let j = 1; j < this.busy.length; j++) if (this.busy[j]! < this.busy[i]!) i = j;
    this.busy[i]!++;
    try {
      return await call(this.workers[i]!);
    } finally {
      this.busy[i]!--;
    }
  }
}

/**
 * Starts `n` recognizer workers one after the other (model loading is memory-hungry) and returns
 * them as one Recognizer; n = 1 returns the single worker itself.
 */
export async function createWorkerPool(cfg: RecognizeConfig, log: Logger, n: number): Promise<Recognizer> {
  const workers: Recognizer[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await createWorkerRecognizer(cfg, log));
  } catch (err) {
    await Promise.all(workers.map((w) => w.close()));
    throw err;
  }
  return n === 1 ? workers[0]! : new WorkerPool(workers);
}

export { WorkerPool };
