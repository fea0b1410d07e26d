/**
 * CPU and memory of a set of processes (the broker's nodes), sampled from /proc once a second:
 * CPU seconds summed over every pid seen (a killed and restarted node counts both lives), and the
 * highest and latest resident memory summed over the live ones.
 */
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime
  } catch {
    return null;
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export class ProcSampler {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  peakRssMb = 0;
  lastRssMb = 0;

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.t0 = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  sample(): void {
    let rss = 0;
    for (const pid of this.pids()) {
      const t = cpuTicks(pid);
      if (t === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, t);
      this.last.set(pid, t);
      rss += rssMb(pid);
    }
    this.lastRssMb = rss;
    this.peakRssMb = Math.max(this.peakRssMb, rss);
  }

  /** CPU used since start, as a share of one core (1.0 = one core busy). */
  stop(): { cores: number; cpuS: number; wallS: number } {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    let ticks = 0;
    for (const [pid, t] of this.last) ticks += t - (this.first.get(pid) ?? t);
    const wallS = (performance.now() - this.t0) / 1000;
    const cpuS = ticks / TICKS;
    return { cores: cpuS / wallS, cpuS, wallS };
  }
}
