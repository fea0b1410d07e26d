import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import type { HealthReport } from '../domain/types.ts';
import { foldLights, type LightName, type Lights } from './lights.ts';

export interface HealthDeps {
  bus: Bus;
  log: Logger;
  /** Lights that must be reported into before they can be green (e.g. no GPS configured → false). */
  expected?: Partial<Record<LightName, boolean>>;
}

/** Keeps the latest report of every component and the four lights derived from them. */
export class HealthStage implements Stage {
  readonly name = 'health';
  readonly critical = false;
  private readonly latest = new Map<string, HealthReport>();
  private lights: Lights | null = null;
  private off: (() => void) | null = null;
  private readonly listeners = new Set<(l: Lights) => void>();

  constructor(private readonly deps: HealthDeps) {}

  async start(): Promise<void> {
    this.off = this.deps.bus.on('health', (r) => this.report(r));
    this.lights = foldLights([], this.deps.expected);
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = null;
  }

  /** The four lights now. */
  snapshot(): Lights {
    return this.lights ?? foldLights(this.latest.values(), this.deps.expected);
  }

  onChange(fn: (l: Lights) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private report(r: HealthReport): void {
    const prev = this.latest.get(r.component);
    this.latest.set(r.component, r);
    if (prev && prev.light === r.light && prev.reason === r.reason) return;
    const next = foldLights(this.latest.values(), this.deps.expected);
    const changed = JSON.stringify(next) !== JSON.stringify(this.lights);
    this.lights = next;
    if (!changed) return;
    const level = r.light === 'red' ? 'warn' : 'info';
    this.deps.log[level]({ component: r.component, light: r.light, reason: r.reason }, 'health changed');
    for (const fn of this.listeners) fn(next);
  }
}
