/**
 * Reconciliation: finding and closing gaps between what a unit had acknowledged and what the
 * server stored. A broker acknowledges a read to the unit (PUBACK) and the unit marks it synced;
 * a broker that then fails to deliver it (nats-server 2.9 was seen to skip deliveries it counted
 * acknowledged) leaves the server without it and the unit unaware. So the unit sends, every
 * `sync.tallyIntervalS` while connected, a tally: how many reads and hits it holds as synced, per
 * hour of capture, for the last day's hours and the hours of whatever it delivered in the last day
 * (a backlog after a day offline). A receiver that stores fewer for an hour, and still fewer a
 * settling time later, asks the unit to send that hour again (`cmd/resend`); the unit queues those
 * records again and the server de-duplicates them by id. Pure logic; the I/O is in the sync stage
 * (unit) and the central sink (server).
 */
import type { TallyBucket } from '../domain/ports.ts';
import { HOUR_MS } from '../domain/tally.ts';

export { HOUR_MS, toBuckets } from '../domain/tally.ts';

/** A tally counts the hours captured this far back, and those of records delivered this far back (ms). */
export const TALLY_SPAN_MS = 24 * HOUR_MS;
/** The most hours one tally names: the last day's and 48 hours of an older backlog. */
export const TALLY_MAX_HOURS = 72;
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
/** A receiver judges one unit's tallies at most this often (a unit sending more is not obeyed faster). */
export const TALLY_MIN_GAP_MS = 60_000;
/** Asks for one hour before a receiver gives up on it (each after twice the wait of the one before). */
export const MAX_ASKS = 4;

export type { TallyBucket };

/**
 * Validates a tally's buckets as a receiver gets them: whole hours, oldest first, each once, at
 * most TALLY_MAX_HOURS, counts that are whole numbers; null when they are not a tally.
 */
export function parseBuckets(v: unknown): TallyBucket[] | null {
  if (!Array.isArray(v) || v.length > TALLY_MAX_HOURS) return null;
  const out: TallyBucket[] = [];
  for (const b of v) {
    const { from, reads, hits } = (b ?? {}) as Record<string, unknown>;
    const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= 1e7;
    if (!Number.isSafeInteger(from) || (from as number) % HOUR_MS !== 0) return null;
    if (out.length > 0 && (from as number) <= out[out.length - 1]!.from) return null;
    if (!count(reads) || !count(hits)) return null;
    out.push({ from: from as number, reads: reads as number, hits: hits as number });
  }
  return out;
}

/**
 * The unit's guard on resend commands: a window already sent again within `sameWindowMs` is not
 * sent again (each of a partition's receivers may ask: a `repeat`, expected), and at most
 * `perHour` commands an hour are obeyed (a `cap`), so a flood of commands cannot keep the link
 * busy with old records.
 */
export class ResendGate {
  private readonly recent = new Map<string, number>();
  private readonly times: number[] = [];

  constructor(
    private readonly sameWindowMs = 10 * 60_000,
    private readonly perHour = 12,
  ) {}

  /** True to obey the command now; else why not. */
  admit(from: number, to: number, now: number): true | { kind: 'repeat' | 'cap'; reason: string } {
    for (const [k, t] of this.recent) if (now - t >= this.sameWindowMs) this.recent.delete(k);
    while (this.times.length > 0 && now - this.times[0]! >= HOUR_MS) this.times.shift();
    const key = `${from}-${to}`;
    if (this.recent.has(key))
      return {
        kind: 'repeat',
        reason: `the same window was sent again less than ${Math.round(this.sameWindowMs / 60_000)} minutes ago`,
      };
    if (this.times.length >= this.perHour)
      return { kind: 'cap', reason: `more than ${this.perHour} resend commands in an hour` };
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
  if (t > now + HOUR_MS) return 'window in the future';
  if (f < now - RESEND_MAX_AGE_MS) return 'window older than 31 days';
  return { from: f, to: t };
}

/** What a receiver makes of one unit's tally. */
export interface TallyVerdict {
  /** Hours to ask the unit for again, with what the store lacks of each. */
  ask: { from: number; reads: number; hits: number }[];
  /** Hours still short after MAX_ASKS asks: given up on now (said once). */
  givenUp: { from: number; reads: number; hits: number }[];
}

interface HourWatch {
  /** When the hour was first found short, or last asked for. */
  since: number;
  /** The unit's counts then. */
  reads: number;
  hits: number;
  asks: number;
  givenUp: boolean;
}

/**
 * The receiver's side: which hours of a unit's tally to ask for again. An hour is short when the
 * store holds fewer of its reads or hits than the unit counted; it is asked for only when a later
 * tally, at least the wait after the first one that found it short, finds the store still below
 * that first tally's count (records in flight then have arrived by now). Each ask doubles the wait
 * before the next; after MAX_ASKS the hour is given up (reported once, never asked again while the
 * unit's tallies name it). Per unit: only the hours of its latest tally are kept, and tallies
 * closer than `minGapMs` (TALLY_MIN_GAP_MS) to the last one judged are not judged.
 */
export class ShortfallWatch {
  private readonly units = new Map<string, { judgedAt: number; hours: Map<number, HourWatch> }>();

  constructor(
    private readonly settleMs: number,
    private readonly minGapMs = TALLY_MIN_GAP_MS,
  ) {}

  /** True when this unit's tally is due to be judged now (not within `minGapMs` of the last). */
  due(unitKey: string, now: number): boolean {
    const u = this.units.get(unitKey);
    return !u || now - u.judgedAt >= this.minGapMs;
  }

  /** Judges a unit's tally against what the store holds of the same hours. */
  check(
    unitKey: string,
    unit: readonly TallyBucket[],
    stored: readonly TallyBucket[],
    now: number,
  ): TallyVerdict {
    const have = new Map(stored.map((b) => [b.from, b]));
    const before = this.units.get(unitKey)?.hours ?? new Map<number, HourWatch>();
    const hours = new Map<number, HourWatch>();
    const verdict: TallyVerdict = { ask: [], givenUp: [] };
    for (const b of unit) {
      const s = have.get(b.from) ?? { reads: 0, hits: 0 };
      if (s.reads >= b.reads && s.hits >= b.hits) continue;
      const w = before.get(b.from);
      if (!w) {
        hours.set(b.from, { since: now, reads: b.reads, hits: b.hits, asks: 0, givenUp: false });
        continue;
      }
      hours.set(b.from, w);
      if (w.givenUp || now - w.since < this.settleMs * 2 ** w.asks) continue;
      const lacking = {
        from: b.from,
        reads: Math.max(0, w.reads - s.reads),
        hits: Math.max(0, w.hits - s.hits),
      };
      if (lacking.reads + lacking.hits === 0) {
        // the store caught up with that tally and lags only newer records: watch those instead
        hours.set(b.from, { since: now, reads: b.reads, hits: b.hits, asks: w.asks, givenUp: false });
      } else if (w.asks >= MAX_ASKS) {
        w.givenUp = true;
        verdict.givenUp.push(lacking);
      } else {
        verdict.ask.push(lacking);
        hours.set(b.from, { since: now, reads: b.reads, hits: b.hits, asks: w.asks + 1, givenUp: false });
      }
    }
    this.units.set(unitKey, { judgedAt: now, hours });
    return verdict;
  }

  /** Hours watched, over every unit (status, tests). */
  get size(): number {
    let n = 0;
    for (const u of this.units.values()) n += u.hours.size;
    return n;
  }
}
