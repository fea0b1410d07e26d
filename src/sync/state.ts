/** Pure pieces of the sync stage: reconnect backoff, the server light, error wording, bandwidth cap. */
import { reasonWords } from '../domain/lights.ts';
import type { Light } from '../domain/types.ts';

/** Exponential backoff with full jitter in [min/2, cap]: attempt 0 → ~min, doubling up to max. */
export function backoffMs(
  attempt: number,
  minMs: number,
  maxMs: number,
  rand: number = Math.random(),
): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (cap / 2) * rand);
}

export interface LinkState {
  connected: boolean;
  /** Epoch ms since when the link is down (or since start, if it never came up); null when connected. */
  downSince: number | null;
  /** Recent queue depths, oldest first, sampled at a steady interval. */
  depths: readonly number[];
  lastError: string | null;
  now: number;
  amberAfterMinutes: number;
  redAfterMinutes: number;
}

/** A backlog is growing when every sample is ≥ the one before and it rose by more than `minRise`. */
export function backlogGrowing(depths: readonly number[], minRise = 50): boolean {
  if (depths.length < 3) return false;
  for (let i = 1; i < depths.length; i++) if (depths[i]! < depths[i - 1]!) return false;
  return depths[depths.length - 1]! - depths[0]! > minRise;
}

/**
 * The server light (policy rule 2: the operator checks it at the start of each shift):
 * green connected and draining; amber disconnected for less than redAfterMinutes, connected but
 * refused, or backlog growing while connected; red disconnected for redAfterMinutes or more.
 */
export function serverLight(s: LinkState): { light: Light; reason: string } {
  const depth = s.depths[s.depths.length - 1] ?? 0;
  if (s.connected) {
    if (s.lastError) return { light: 'amber', reason: `connected, but uploads fail: ${s.lastError}` };
    if (backlogGrowing(s.depths))
      return { light: 'amber', reason: `connected, backlog growing (${depth} queued)` };
    return { light: 'green', reason: `connected, ${depth} queued` };
  }
  const downMin = (s.now - (s.downSince ?? s.now)) / 60_000;
  const why = s.lastError ? `: ${s.lastError}` : '';
  const text = `server unreachable for ${formatMinutes(downMin)}, ${depth} queued${why}`;
  if (downMin >= s.redAfterMinutes) return { light: 'red', reason: text };
  if (downMin >= s.amberAfterMinutes) return { light: 'amber', reason: text };
  return { light: 'green', reason: `reconnecting, ${depth} queued` };
}

/**
 * The server light over time: the last six queue depths; re-emitted when its colour or words
 * change, every tick while it is not green and its counts move (how long the server has been
 * unreachable, how many reads wait: what the officer and the technician need), and every sixth tick.
 */
export class LightReporter {
  private depths: number[] = [];
  private last = '';
  private lastReason = '';
  private ticks = 0;

  /** One queue depth sample per health tick. */
  sample(depth: number): void {
    this.depths.push(depth);
    if (this.depths.length > 6) this.depths.shift();
  }

  /** The light for this state, or null when it need not be emitted again. */
  next(s: Omit<LinkState, 'depths'>, depth: number): { light: Light; reason: string } | null {
    const out = serverLight({ ...s, depths: this.depths.length > 0 ? this.depths : [depth] });
    const key = `${out.light}|${reasonWords(out.reason)}`;
    const counts = out.light !== 'green' && out.reason !== this.lastReason;
    const emit = key !== this.last || counts || ++this.ticks % 6 === 0;
    this.last = key;
    this.lastReason = out.reason;
    return emit ? out : null;
  }
}

function formatMinutes(m: number): string {
  if (m < 1) return `${Math.round(m * 60)} s`;
  if (m < 120) return `${Math.round(m)} min`;
  return `${Math.round(m / 60)} h`;
}

/**
 * The broker refused our MQTT 5 CONNECT for its protocol version: a 3.1.1 broker answers with
 * return code 1 (unacceptable protocol version), an MQTT 5 one that disabled 5 with reason 0x84.
 */
export function refusesMqtt5(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 1 || code === 0x84;
}

// Shared with the self-test's broker check (src/domain/mqtt-errors.ts).
export { describeMqttError } from '../domain/mqtt-errors.ts';

/** Token bucket for the upload bandwidth cap; rate 0 means no cap. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }
  /** Takes `bytes`; returns 0 when allowed now, else the ms to wait before trying again. */
  take(bytes: number, now: number): number {
    if (this.rate <= 0) return 0;
    // a clock set back (Date.now() corrected by NTP or GPS) gains nothing, and owes nothing: the
    // time since `last` would be negative by the step, and the wait as long as the step
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
    this.last = now;
    if (this.tokens >= Math.min(bytes, this.burst)) {
      this.tokens -= bytes;
      return 0;
    }
    return Math.ceil(((Math.min(bytes, this.burst) - this.tokens) * 1000) / this.rate);
  }
}
