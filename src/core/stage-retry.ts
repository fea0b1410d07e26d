/**
 * Parts that failed to start are started again later: a credentials file copied in by a
 * technician, a port another process held at boot or a receiver plugged in late then come up
 * without a restart, which an officer in the field cannot do. The wait doubles from the
 * configured one (`health.stageRetryS`) up to RETRY_CAP_MS.
 */
import type { Stage, StageFactory } from './stage.ts';

/** The longest wait between two tries: a part fixed by hand comes up within this long. */
export const RETRY_CAP_MS = 600_000;

/** Wait before try `tries + 1` of a stage that has failed `tries` times after its first start. */
export function retryDelayMs(tries: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(tries, 20), Math.max(baseMs, RETRY_CAP_MS));
}

export interface RetryHooks {
  /** Builds and starts the stage; throws as the first start did, having released what it opened. */
  attempt(f: StageFactory): Promise<Stage>;
  /** The stage runs now (`tries`: how many tries it took after the first start). */
  started(f: StageFactory, stage: Stage, tries: number): void;
  /** Try `tries` failed too; the next comes after `nextMs`. */
  failedAgain(f: StageFactory, err: unknown, tries: number, nextMs: number): void;
}

export class StageRetries {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly baseMs: number,
    private readonly hooks: RetryHooks,
  ) {}

  /** Tries `f` again after the wait that follows `tries` failed tries (0: after the first start). */
  schedule(f: StageFactory, tries = 0): void {
    if (this.stopped) return;
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        const run = this.run(f, tries + 1).finally(() => this.inFlight.delete(run));
        this.inFlight.add(run);
      },
      retryDelayMs(tries, this.baseMs),
    );
    t.unref();
    this.timers.add(t);
  }

  /** How many stages wait for another try. */
  get waiting(): number {
    return this.timers.size + this.inFlight.size;
  }

  private async run(f: StageFactory, tries: number): Promise<void> {
    let stage: Stage;
    try {
      stage = await this.hooks.attempt(f);
    } catch (err) {
      if (this.stopped) return;
      this.hooks.failedAgain(f, err, tries, retryDelayMs(tries, this.baseMs));
      this.schedule(f, tries);
      return;
    }
    if (this.stopped) {
      // the unit is stopping: a stage that came up meanwhile is closed here, not left running
      await stage.stop().catch(() => {});
      return;
    }
    this.hooks.started(f, stage, tries);
  }

  /** No more tries; waits for one under way to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
