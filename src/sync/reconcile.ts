/**
 * Reconciliation: finding and closing gaps between what a unit had acknowledged and what the
 * server stored. A broker acknowledges a read to the unit (PUBACK) and the unit marks it synced;
 * a broker that then fails to deliver it (nats-server 2.9 was seen to skip deliveries it counted
 * acknowledged) leaves the server without it and the unit unaware. So the unit sends, every
 * `sync.tallyIntervalS` while connected, a tally: how many reads and hits it holds as synced, per
 * hour of capture, over the last day. A receiver that stores fewer for an hour, and still fewer a
 * settling time later, asks the unit to send that hour again (`cmd/resend`); the unit queues those
 * records again and the server de-duplicates them by id. Pure logic; the I/O is in the sync stage
 * (unit) and the central sink (server).
 */
import type { TallyBucket } from '../domain/ports.ts';
import { HOUR_MS } from '../domain/tally.ts';

export { HOUR_MS, hourOf, toBuckets } from '../domain/tally.ts';

/** How far back a tally counts (ms). */
export const TALLY_SPAN_MS = 24 * HOUR_MS;
/**
 * A tally counts records acknowledged at least this long ago: the last seconds' records may still
 * be on their way through the broker to the receivers.
 */
export const TALLY_LAG_MS = 60_000;
/** The longest window one resend command may name, and how far back it may reach. */
export const RESEND_MAX_WINDOW_MS = 24 * HOUR_MS;
export const RESEND_MAX_AGE_MS = 31 * 24 * HOUR_MS;
/** The most records one resend command queues again (a busy unit reads ~7,000 plates an hour). */
export const RESEND_MAX_RECORDS = 50_000;

export type { TallyBucket };

/** Validates a tally's buckets as a receiver gets them; null when they are not a tally. */
export function parseBuckets(v: unknown): TallyBucket[] | null {
  if (!Array.isArray(v) || v.length > 48) return null;
  const out: TallyBucket[] = [];
  for (const b of v) {
    const { from, reads, hits } = (b ?? {}) as Record<string, unknown>;
    const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= 1e7;
    if (!Number.isSafeInteger(from) || (from as number) % HOUR_MS !== 0) return null;
    if (!count(reads) || !count(hits)) return null;
    out.push({ from: from as number, reads: reads as number, hits: hits as number });
  }
  return out;
}

/**
 * The unit's guard on resend commands: a window already sent again within `sameWindowMs` is not
 * sent again (each of a partition's receivers may ask), and at most `perHour` commands an hour are
 * obeyed, so a flood of commands cannot keep the link busy with old records.
 */
export class ResendGate {
  private readonly recent = new Map<string, number>();
  private readonly times: number[] = [];

  constructor(
    private readonly sameWindowMs = 10 * 60_000,
    private readonly perHour = 12,
  ) {}

  /** True to obey the command now; else the reason it is not obeyed. */
  admit(from: number, to: number, now: number): true | string {
    for (const [k, t] of this.recent) if (now - t >= this.sameWindowMs) this.recent.delete(k);
    while (this.times.length > 0 && now - this.times[0]! >= HOUR_MS) this.times.shift();
    const key = `${from}-${to}`;
    if (this.recent.has(key)) return 'the same window was sent again less than 10 minutes ago';
    if (this.times.length >= this.perHour) return `more than ${this.perHour} resend commands in an hour`;
    this.recent.set(key, now);
    this.times.push(now);
    return true;
  }
}

/** A window a resend command names, checked against the unit's clock; a reason when refused. */
export function resendWindow(from: unknown, to: unknown, now: number): { from: number; to: number } | string {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return 'from and to must be epoch ms';
  const f = from as number;
  const t = to as number;
  if (t <= f) return 'to must be after from';
  if (t - f > RESEND_MAX_WINDOW_MS) return 'window longer than 24 h';
  if (f < now - RESEND_MAX_AGE_MS || t > now + HOUR_MS) return 'window outside the last 31 days';
  return { from: f, to: t };
}

/**
 * The receiver's side: which hours of a unit's tally to ask for again. An hour is short when the
 * store holds fewer of its reads or hits than the unit counted; it is asked for only when a later
 * tally, at least `settleMs` after the first one that found it short, finds the store still below
 * the first tally's count (records in flight then have arrived by now). Asking restarts the wait.
 */
export class ShortfallWatch {
  /** `<unit key> <hour>` → when it was first found short, and the unit's counts then. */
  private readonly short = new Map<string, { since: number; reads: number; hits: number }>();

  constructor(private readonly settleMs: number) {}

  /** The hours (bucket starts) to ask `unitKey` to send again. */
  check(
    unitKey: string,
    unit: readonly TallyBucket[],
    stored: readonly TallyBucket[],
    now: number,
  ): number[] {
    const have = new Map(stored.map((b) => [b.from, b]));
    const ask: number[] = [];
    for (const b of unit) {
      const key = `${unitKey} ${b.from}`;
      const s = have.get(b.from) ?? { reads: 0, hits: 0 };
      if (s.reads >= b.reads && s.hits >= b.hits) {
        this.short.delete(key);
        continue;
      }
      const first = this.short.get(key);
      if (first && now - first.since < this.settleMs) continue;
      // still below what the unit counted a settling time ago: lost on the way
      if (first && (s.reads < first.reads || s.hits < first.hits)) ask.push(b.from);
      // (else the store caught up with that tally and is short of newer records only: watch those)
      this.short.set(key, { since: now, reads: b.reads, hits: b.hits });
    }
    this.forget(now);
    return ask;
  }

  /** Entries older than a tally's span are dropped (their hours have left every tally). */
  private forget(now: number): void {
    if (this.short.size < 10_000) return;
    for (const [k, v] of this.short) if (now - v.since > TALLY_SPAN_MS) this.short.delete(k);
  }

  get size(): number {
    return this.short.size;
  }
}
