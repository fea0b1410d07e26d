/**
 * Is the main loop alive? The event loop must keep turning (a timer that fires on time) and, while
 * frames are arriving, some must get recognized. A camera that stops sending frames is a red
 * light, not a restart: only frames that arrive and are never processed mean a hung pipeline.
 */
import type { Bus } from '../core/bus.ts';

/** How often the loop timer fires. */
const TICK_MS = 1000;

export interface LivenessState {
  /** When the loop timer last fired, and how late it was (ms). */
  lastTickAt: number;
  lastLagMs: number;
  /** Last frame in (capture) and last frame result out (recognize), epoch ms, or null. */
  lastFrameAt: number | null;
  lastResultAt: number | null;
  startedAt: number;
}

export interface LivenessLimits {
  maxLoopLagMs: number;
  maxFrameStallMs: number;
}

/** Pure verdict: null when alive, else why not. */
export function hungReason(s: LivenessState, now: number, lim: LivenessLimits): string | null {
  if (s.lastLagMs > lim.maxLoopLagMs) return `event loop ${s.lastLagMs} ms late`;
  if (now - s.lastTickAt > lim.maxLoopLagMs + TICK_MS) return `event loop stalled ${now - s.lastTickAt} ms`;
  if (s.lastFrameAt !== null && now - s.lastFrameAt < lim.maxFrameStallMs) {
    const since = s.lastResultAt ?? s.startedAt;
    if (now - since > lim.maxFrameStallMs) return `frames arriving but none recognized for ${now - since} ms`;
  }
  return null;
}

export class Liveness {
  private readonly s: LivenessState;
  private timer: NodeJS.Timeout | null = null;
  private offs: (() => void)[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly limits: LivenessLimits,
    private readonly now: () => number = Date.now,
  ) {
    const t = now();
    this.s = { lastTickAt: t, lastLagMs: 0, lastFrameAt: null, lastResultAt: null, startedAt: t };
  }

  start(): void {
    const t = this.now();
    Object.assign(this.s, { lastTickAt: t, startedAt: t, lastLagMs: 0 });
    this.offs.push(
      this.bus.on('frame', () => {
        this.s.lastFrameAt = this.now();
      }),
      this.bus.on('frameResult', () => {
        this.s.lastResultAt = this.now();
      }),
    );
    this.timer = setInterval(() => {
      const n = this.now();
      this.s.lastLagMs = Math.max(0, n - this.s.lastTickAt - TICK_MS);
      this.s.lastTickAt = n;
    }, TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const off of this.offs) off();
    this.offs = [];
  }

  /** Null when alive, else the reason (for the log). */
  reason(): string | null {
    return hungReason(this.s, this.now(), this.limits);
  }

  /** The callback for Notifier.startWatchdog. */
  readonly alive = (): boolean => this.reason() === null;
}
