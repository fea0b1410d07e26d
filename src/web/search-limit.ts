/**
 * How often one officer may search the stored reads. Each search is audited, but a stolen
 * sign-in cookie or a script could still page through the whole store by time windows (500 reads
 * a search); an officer at work searches a few times a minute at most. Per badge, over every
 * session of it: at most `perMinute` searches in any minute and six times that in any hour. Pure.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export class SearchLimiter {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Counts a search now and returns 0, or returns how long (ms) until one is allowed again. */
  admit(badge: string, now: number): number {
    const list = (this.times.get(badge) ?? []).filter((t) => now - t < HOUR);
    const lastMinute = list.filter((t) => now - t < MINUTE);
    let wait = 0;
    if (lastMinute.length >= this.perMinute)
      wait = lastMinute[lastMinute.length - this.perMinute]! + MINUTE - now;
    if (list.length >= this.perMinute * 6)
      wait = Math.max(wait, list[list.length - this.perMinute * 6]! + HOUR - now);
    if (wait === 0) list.push(now);
    this.times.set(badge, list);
    return wait;
  }
}
