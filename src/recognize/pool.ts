/**
 * Several recognizer workers behind one Recognizer: each call goes to the worker with the fewest
 * calls in flight. With one worker per free core, frames of different cameras are read at the same
 * time (the stage keeps one frame per camera in flight, see RecognizeStage).
 */
import type { Logger } from '../core/log.ts';
import type { PlateReading, RgbImage } from '../domain/types.ts';
import type { RecognizeConfig, Recognizer, ScreenResult } from './ppocr.ts';
import { createWorkerRecognizer } from './worker.ts';

/** A recognizer that can tell it has died (a worker thread that exited). */
type Mortal = Recognizer & { alive?: () => boolean };

class WorkerPool implements Recognizer {
  readonly modelVersion: string;
  private readonly busy: number[];
  private readonly respawning = new Set<number>();
  private closed = false;

  /**
   * `respawn` builds a replacement for a worker that died (crash, out of memory); without it a
   * dead worker stays dead. Replacements start one at a time per slot, `retryMs` apart on failure.
   */
  constructor(
    private readonly workers: Mortal[],
    private readonly respawn?: () => Promise<Recognizer>,
    private readonly log?: Logger,
    private readonly retryMs = 2000,
  ) {
    this.modelVersion = workers[0]!.modelVersion;
    this.busy = workers.map(() => 0);
  }

  readFrame(img: RgbImage): Promise<PlateReading[]> {
    return this.on((r) => r.readFrame(img));
  }

  readCrop(img: RgbImage): Promise<PlateReading | null> {
    return this.on((r) => r.readCrop(img));
  }

  screenFrame(img: RgbImage): Promise<ScreenResult> {
    return this.on(
      async (r) => (await r.screenFrame?.(img)) ?? { plates: await r.readFrame(img), sure: true },
    );
  }

  thoroughFrame(img: RgbImage): Promise<PlateReading[]> {
    return this.on((r) => (r.thoroughFrame ?? r.readFrame).call(r, img));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }

  /** Workers alive now (a dead one counts until its replacement is up). */
  aliveCount(): number {
    return this.workers.filter((w) => w.alive?.() !== false).length;
  }

  /** Busy counts per worker (for tests and stats). */
  load(): readonly number[] {
    return [...this.busy];
  }

  private async on<T>(call: (r: Recognizer) => Promise<T>): Promise<T> {
    // a dead worker is replaced as soon as a call notices it
    this.workers.forEach((w, k) => {
      if (w.alive?.() === false) this.replace(k);
    });
    // the least busy live worker; a dead one only when none lives (its call fails plainly)
    const order = this.workers.map((_, k) => k).sort((a, b) => this.rank(a) - this.rank(b));
    const i = order[0]!;
    this.busy[i]!++;
    try {
      return await call(this.workers[i]!);
    } catch (err) {
      if (this.workers[i]!.alive?.() === false) this.replace(i);
      throw err;
    } finally {
      this.busy[i]!--;
    }
  }

  private rank(k: number): number {
    return this.busy[k]! + (this.workers[k]!.alive?.() === false ? 1e6 : 0);
  }

  /** Starts a replacement for the dead worker in slot i (once at a time per slot). */
  private replace(i: number): void {
    if (!this.respawn || this.closed || this.respawning.has(i)) return;
    this.respawning.add(i);
    const attempt = async (): Promise<void> => {
      try {
        const fresh = await this.respawn!();
        if (this.closed) {
          await fresh.close();
          return;
        }
        this.workers[i] = fresh;
        this.log?.warn({ slot: i }, 'recognizer worker replaced');
        this.respawning.delete(i);
      } catch (err) {
        this.log?.error({ err, slot: i }, 'recognizer worker could not be replaced; retrying');
        if (!this.closed) setTimeout(() => void attempt(), this.retryMs).unref();
        else this.respawning.delete(i);
      }
    };
    void attempt();
  }
}

/**
 * Starts `n` recognizer workers one after the other (model loading is memory-hungry) and returns
 * them as one Recognizer that replaces a worker that dies.
 */
export async function createWorkerPool(cfg: RecognizeConfig, log: Logger, n: number): Promise<WorkerPool> {
  const workers: Recognizer[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await createWorkerRecognizer(cfg, log));
  } catch (err) {
    await Promise.all(workers.map((w) => w.close()));
    throw err;
  }
  return new WorkerPool(workers, () => createWorkerRecognizer(cfg, log), log);
}

export { WorkerPool };
