/**
 * Re-alert window: a vehicle that stays in view, or that the cameras pass again, matches its
 * hot-list entry on every detection. Each such hit is recorded and uploaded, but the officer is
 * alerted once per plate and entry per window, as in-car readers do; a stronger match (possible →
 * confirmed) alerts at once. Pure: the caller passes the sighting's time.
 */
import type { Hit } from '../domain/types.ts';

const LEVEL_RANK = { possible: 1, confirmed: 2 } as const;

/** A hit stamped this much before the last alert of its window means the clock stepped back. */
const STEP_BACK_MS = 60_000;

function rank(h: Hit): number {
  return h.match.level ? LEVEL_RANK[h.match.level] : LEVEL_RANK.confirmed;
}

/** One vehicle against one entry: the read plate, the list and entry, live or late (after a list update). */
export function realertKey(h: Hit): string {
  const m = h.match;
  return [h.late ? 'late' : 'live', h.plate, m.list, m.entryPlate, m.state ?? '', m.caseNumber ?? ''].join(
    '\u0000',
  );
}

export class RealertGate {
  private readonly last = new Map<string, { at: number; rank: number }>();

  /** @param windowMs 0 alerts every hit. */
  constructor(private readonly windowMs: number) {}

  /** Whether this hit alerts the officer now (and, if so, starts a new window for it). */
  admit(h: Hit, at: number): boolean {
    this.forget(at);
    const key = realertKey(h);
    const prev = this.last.get(key);
    const r = rank(h);
    // a sighting stamped well before the window's start (the clock stepped back) starts a new
    // window: a step back must not mute the alert for as long as the step. Hits come a little out
    // of capture order (cameras, the tracker, thorough looks): within STEP_BACK_MS that is no step.
    const stepped = prev !== undefined && at < prev.at - STEP_BACK_MS;
    if (prev && !stepped && at - prev.at < this.windowMs && r <= prev.rank) return false;
    this.last.set(key, { at, rank: r });
    return true;
  }

  /** Entries whose window is over (the map stays as small as the hits of the last window). */
  private forget(now: number): void {
    for (const [k, v] of this.last)
      if (now - v.at >= this.windowMs || now < v.at - STEP_BACK_MS) this.last.delete(k);
  }
}
