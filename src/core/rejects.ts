/**
 * Counted, rate-limited warnings for input refused at a device, broker or file edge.
 *
 * A receiver or a broker that sends something bad usually keeps sending it: one warning per
 * message would flood journald (and, at one per GPS epoch, wear the car computer's flash). The
 * first refusal is logged at once; later ones are counted and summed up at most once per interval,
 * so the log still says how many and why.
 */
export interface WarnLog {
  warn(obj: object, msg: string): void;
}

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
    const t = this.now();
    if (t - this.lastWarnAt < this.intervalMs) return;
    this.log.warn({ reason, rejected: this.unreported, total: this.total }, this.message);
    this.unreported = 0;
    this.lastWarnAt = t;
  }

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
