/**
 * Counted, rate-limited warnings for input refused at a device, broker or file edge.
 *
 * A receiver or a broker that sends something bad usually keeps sending it: one warning per
 * message would flood journald (and, at one per GPS epoch, wear the car computer's flash). The
 * first refusal is logged at once; later ones are counted and summed up once the interval is over
 * (whether or not more come), with the distinct reasons among them, so the log still says how many
 * and why.
 */
export interface WarnLog {
  warn(obj: object, msg: string): void;
}

/** Distinct reasons a summary names (a forged snapshot after a truncated one must show). */
const MAX_REASONS = 8;

export class RejectCounter {
  /** Every refusal since start, for status pages and tests. */
  total = 0;
  private unreported = 0;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private lastReason = '';

  constructor(
    private readonly log: WarnLog,
    /** What was refused, e.g. `GPS sentence rejected`. */
    private readonly message: string,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one refusal; warns now when the last warning is older than the interval. `reason`
   * must not carry plate text or positions: it is logged at warn level.
   */
  reject(reason: string): void {
    this.total++;
    this.unreported++;
    this.lastReason = reason;
    if (this.reasons.size < MAX_REASONS) this.reasons.add(reason);
    const t = this.now();
    if (t - this.lastWarnAt < this.intervalMs) {
      // the refusals counted meanwhile are summed up when the interval ends, even if none follow
      this.flushTimer ??= setTimeout(() => this.flush(), this.lastWarnAt + this.intervalMs - t);
      this.flushTimer.unref?.();
      return;
    }
    this.warn(reason, t);
  }

  /** Sums up the refusals not yet reported (the timer at the end of an interval). */
  flush(): void {
    this.flushTimer = null;
    if (this.unreported > 0) this.warn(this.lastReason, this.now());
  }

  private warn(reason: string, t: number): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const reasons = [...this.reasons];
    this.log.warn(
      { reason, ...(reasons.length > 1 ? { reasons } : {}), rejected: this.unreported, total: this.total },
      this.message,
    );
    this.unreported = 0;
    this.reasons.clear();
    this.lastWarnAt = t;
  }

  /** The distinct reasons since the last warning (at most MAX_REASONS), named in the next one. */
  private readonly reasons = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;

  /** The reason given last (status, tests). */
  get last(): string {
    return this.lastReason;
  }
}

/** Calls `fn`; a throw is counted on `rejects` instead of escaping a data or message handler. */
export function guarded(rejects: RejectCounter, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    rejects.reject(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
