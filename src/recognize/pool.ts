/**
 * Several recognizer workers behind one Recognizer: each call goes to the worker with the fewest
 * calls in flight. With one worker per free core, frames of different cameras are read at the same
 * time (the stage keeps one frame per camera in flight, see RecognizeStage).
 *
 * Workers by role (poolRoles): with `escalation: idle`, the cameras' frames only ever need the
 * screen, so all workers but one load the screen alone; the one full worker takes the thorough
 * looks (and any other call), and screens when the screen workers are busy. It runs at the lowest
 * thread priority (thread-priority.ts): its looks only get the CPU the screens leave spare.
 */
import { escalates, resolveRecognize } from '../config/sections/recognize.ts';
import type { Logger } from '../core/log.ts';
import type { PlateReading, RgbImage } from '../domain/types.ts';
import type { RecognizerRole } from './load.ts';
import type { RecognizeConfig, Recognizer, ScreenResult } from './ppocr.ts';
import { createWorkerRecognizer } from './worker.ts';

/**
 * The roles of a pool's n workers: with idle escalation of an escalating profile and at least two
 * workers, one full worker and the rest screens; otherwise every worker loads everything.
 */
export function poolRoles(cfg: RecognizeConfig, n: number): RecognizerRole[] {
  const split = n >= 2 && cfg.escalation === 'idle' && escalates(resolveRecognize(cfg));
  return Array.from({ length: n }, (_, k): RecognizerRole => (split && k < n - 1 ? 'screen' : 'all'));
}

/** A recognizer that can tell it has died (a worker thread that exited). */
type Mortal = Recognizer & { alive?: () => boolean };

class WorkerPool implements Recognizer {
  readonly modelVersion: string;
  private readonly busy: number[];
  private readonly respawning = new Set<number>();
  private closed = false;

  /**
   * `respawn` builds a replacement for a worker that died (crash, out of memory), of the slot's
   * role; without it a dead worker stays dead. Replacements start one at a time per slot,
   * `retryMs` apart on failure. `roles` (default: all 'all') says which workers load the screen
   * alone: they get screen calls only.
   */
  constructor(
    private readonly workers: Mortal[],
    private readonly respawn?: (role: RecognizerRole) => Promise<Recognizer>,
    private readonly log?: Logger,
    private readonly retryMs = 2000,
    private readonly roles: readonly RecognizerRole[] = workers.map(() => 'all'),
  ) {
    // the version of what reads a frame in full (a screen worker's is its screen's alone)
    this.modelVersion = workers[Math.max(0, roles.indexOf('all'))]!.modelVersion;
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
      true,
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

  /** Calls the least busy worker that can answer: any for a screen call, else a full one. */
  private async on<T>(call: (r: Recognizer) => Promise<T>, screen = false): Promise<T> {
    // a dead worker is replaced as soon as a call notices it
    this.workers.forEach((w, k) => {
      if (w.alive?.() === false) this.replace(k);
    });
    // the least busy live worker; a dead one only when none lives (its call fails plainly)
    const order = this.workers
      .map((_, k) => k)
      .filter((k) => screen || this.roles[k] === 'all')
      .sort((a, b) => this.rank(a, screen) - this.rank(b, screen));
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

  /** Calls in flight; a dead worker last; for a screen call, a full worker after an idle screen one. */
  private rank(k: number, screen: boolean): number {
    const spare = screen && this.roles[k] === 'all' && this.roles.includes('screen') ? 0.5 : 0;
    return this.busy[k]! + spare + (this.workers[k]!.alive?.() === false ? 1e6 : 0);
  }

  /** Starts a replacement for the dead worker in slot i (once at a time per slot). */
  private replace(i: number): void {
    if (!this.respawn || this.closed || this.respawning.has(i)) return;
    this.respawning.add(i);
    const attempt = async (): Promise<void> => {
      try {
        const fresh = await this.respawn!(this.roles[i]!);
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
 * Starts `n` recognizer workers (roles by poolRoles) one after the other (model loading is
 * memory-hungry) and returns them as one Recognizer that replaces a worker that dies.
 */
export async function createWorkerPool(cfg: RecognizeConfig, log: Logger, n: number): Promise<WorkerPool> {
  const roles = poolRoles(cfg, n);
  // beside screen workers, the full worker reads thorough looks: in the background, so the
  // kernel gives the cameras' screens the CPU first on every machine
  const start = (role: RecognizerRole) =>
    createWorkerRecognizer(cfg, log, role, role === 'all' && roles.includes('screen'));
  const workers: Recognizer[] = [];
  try {
    for (const role of roles) workers.push(await start(role));
  } catch (err) {
    await Promise.all(workers.map((w) => w.close()));
    throw err;
  }
  return new WorkerPool(workers, start, log, 2000, roles);
}

export { WorkerPool };
