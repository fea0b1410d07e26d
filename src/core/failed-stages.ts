/**
 * The red reports of stages that failed to start. Health marks a silent component stale after a
 * while ("no report for 180 s (stage not responding)"); a stage that never started never reports,
 * so its reason (a missing certificate, a dead receiver) would be replaced by that. Its report is
 * said again every `repeatMs` instead, for as long as the unit runs.
 */
import type { HealthReport } from '../domain/types.ts';

export class FailedStages {
  private readonly reports: HealthReport[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly emit: (r: HealthReport) => void,
    private readonly repeatMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure (in place of the component's earlier one) and reports it at once. */
  add(component: string, reason: string): void {
    const r: HealthReport = { component, light: 'red', reason, at: this.now() };
    this.remove(component);
    this.reports.push(r);
    this.emit(r);
  }

  /** The component's stage has started after all: its report is no longer said; returns it. */
  remove(component: string): HealthReport | null {
    const i = this.reports.findIndex((r) => r.component === component);
    if (i < 0) return null;
    return this.reports.splice(i, 1)[0] ?? null;
  }

  /** Starts repeating the reports (no timer when nothing failed); a stopped repeater stays stopped. */
  start(): void {
    if (this.reports.length === 0 || this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      for (const r of this.reports) this.emit({ ...r, at: this.now() });
    }, this.repeatMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
