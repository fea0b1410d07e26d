/**
 * The health stage: one model of the four lights an officer checks (cameras, server, GPS, system).
 * Every stage reports into it over the bus; nothing polls stages from outside. It runs the system
 * checks itself (disk, CPU temperature, clock) and shows the lights on the local JSON endpoint and
 * the LEDs. Lights stay amber ("checking") until the root says start-up is over.
 */
import { type HealthConfig, healthSection } from '../config/sections/health.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import type { HealthReport, Light } from '../domain/types.ts';
import { clockVerdict, diskVerdict, temperatureVerdict, type Verdict } from './checks.ts';
import { LedWriter } from './leds.ts';
import { foldLights, type LightName, type Lights, overallLight, startingLights } from './lights.ts';
import { cpuTemperature, diskSpace } from './probes.ts';
import { HealthServer } from './server.ts';
import type { CameraRate } from './cameras.ts';
import { type UploadBody, type UploadInfo, uploadBody } from './upload.ts';

export { overallLight, type LightName, type Lights } from './lights.ts';
export type { CameraRate } from './cameras.ts';
export type { UploadBody, UploadInfo } from './upload.ts';

export interface HealthDeps {
  bus: Bus;
  log: Logger;
  /** Lights that must be reported into before they can be green (e.g. no GPS configured → false). */
  expected?: Partial<Record<LightName, boolean>>;
  /** The `health:` config section. Without it: defaults, and no HTTP endpoint. */
  config?: HealthConfig;
  /** Folder whose file system the disk check watches (paths.dataDir); absent = no disk check. */
  dataDir?: string;
  /** Components that must have reported before their light can be green (e.g. 'storage', 'model'). */
  required?: readonly string[];
  /**
   * Components that re-send their light periodically, with the silence (ms) after which they count
   * as hung, e.g. { gps: 90_000, server: 180_000 }: a stage that stops reporting turns its light red.
   */
  staleAfterMs?: Readonly<Record<string, number>>;
  /** GPS time minus system clock (ms), or null without a recent timed fix. */
  clockOffsetMs?: () => number | null;
  /** Software, model and hot-list versions shown on the endpoint. */
  versions?: () => Record<string, string>;
  /** The outbox for `alpr status` (queue depth, last acknowledged read); null/absent without sync. */
  upload?: () => UploadInfo | null;
  /** Per-camera fps in and read for `alpr status`; null/absent without cameras. */
  cameras?: () => CameraRate[] | null;
  /** Standing warnings for the technician (keys not sealed to the TPM); no light changes for them. */
  warnings?: () => string[];
  now?: () => number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export type Phase = 'starting' | 'running';

/** The JSON body of GET /health. */
export interface HealthBody {
  status: Light;
  phase: Phase;
  lights: Lights;
  components: HealthReport[];
  versions: Record<string, string>;
  /** Queue depth and last acknowledged read; null without a server link (or when unreadable). */
  upload: UploadBody | null;
  /** Frames per second each camera delivers and recognition reads; null without cameras. */
  cameras: CameraRate[] | null;
  /** Standing warnings (`alpr status` prints them loudly); empty when none. */
  warnings: string[];
  at: string;
  uptimeS: number;
}

/** Keeps the latest report of every component and the four lights derived from them. */
export class HealthStage implements Stage {
  readonly name = 'health';
  readonly critical = false;
  private readonly cfg: HealthConfig;
  private readonly latest = new Map<string, HealthReport>();
  private shown: Lights | null = null;
  private phase: Phase = 'starting';
  private startedAt = 0;
  private off: (() => void) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly listeners = new Set<(l: Lights) => void>();
  private readonly leds: LedWriter;
  private server: HealthServer | null = null;
  private ledQueue: Promise<void> = Promise.resolve();
  /** The bound HTTP port once started (null without an endpoint). */
  port: number | null = null;

  constructor(private readonly deps: HealthDeps) {
    this.cfg = deps.config ?? healthSection.parse({});
    const { dir, ...map } = this.cfg.leds;
    this.leds = new LedWriter(dir, map, (led, err) =>
      deps.log.warn({ led, err: (err as Error).message }, 'LED write failed'),
    );
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async start(): Promise<void> {
    this.phase = 'starting';
    this.startedAt = this.now();
    this.off = this.deps.bus.on('health', (r) => this.report(r));
    this.refresh(true);
    await this.runChecks();
    const every = setInterval(() => void this.runChecks(), this.cfg.checkIntervalS * 1000);
    const giveUp = setTimeout(() => this.settle(), this.cfg.startupTimeoutS * 1000);
    every.unref();
    giveUp.unref();
    this.timers.push(every, giveUp);
    if (this.deps.config?.http.enabled) {
      const { host, port } = this.deps.config.http;
      if (!LOOPBACK.has(host)) this.deps.log.warn({ host }, 'health endpoint bound beyond loopback');
      const server = new HealthServer(host, port, () => this.body());
      try {
        this.port = await server.start();
        this.server = server;
        this.deps.log.info({ host, port: this.port }, 'health endpoint listening');
      } catch (err) {
        // The lights and LEDs still work; only `alpr status` cannot see them.
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        this.deps.log.error({ host, port, err: why }, 'health endpoint failed to listen');
        this.emit('endpoint', {
          light: 'amber',
          reason: `status endpoint ${host}:${port} unavailable (${why})`,
        });
      }
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.off?.();
    this.off = null;
    await this.server?.stop();
    this.server = null;
    await this.ledQueue;
    if (this.leds.enabled) await this.leds.off();
  }

  /** The root calls this once every stage has started: the lights stop saying "checking". */
  settle(): void {
    if (this.phase === 'running') return;
    this.phase = 'running';
    this.deps.log.info('start-up checks done');
    this.refresh(true);
  }

  /** The four lights as shown now (all amber while starting). */
  snapshot(): Lights {
    return this.shown ?? this.display();
  }

  body(): HealthBody {
    const lights = this.snapshot();
    const now = this.now();
    return {
      status: overallLight(lights),
      phase: this.phase,
      lights,
      components: [...this.latest.values()].sort((a, b) => a.component.localeCompare(b.component)),
      versions: this.deps.versions?.() ?? {},
      upload: this.upload(now),
      cameras: this.cameraRates(),
      warnings: this.deps.warnings?.() ?? [],
      at: new Date(now).toISOString(),
      uptimeS: Math.round((now - this.startedAt) / 1000),
    };
  }

  private cameraRates(): CameraRate[] | null {
    try {
      return this.deps.cameras?.() ?? null;
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message }, 'camera rates unavailable');
      return null;
    }
  }

  private upload(now: number): UploadBody | null {
    try {
      const info = this.deps.upload?.() ?? null;
      return info ? uploadBody(info, now) : null;
    } catch (err) {
      // A closed or busy store must not take the endpoint down: the lights still answer.
      this.deps.log.debug({ err: (err as Error).message }, 'upload state unavailable');
      return null;
    }
  }

  onChange(fn: (l: Lights) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Runs disk, temperature and clock checks once and reports each into the bus. */
  async runChecks(): Promise<void> {
    const { disk, temperature, clock } = this.cfg;
    if (this.deps.dataDir) {
      try {
        const s = await diskSpace(this.deps.dataDir);
        this.emit('disk', diskVerdict(s.freeBytes, s.totalBytes, disk));
      } catch (err) {
        this.emit('disk', { light: 'red', reason: `cannot read data folder: ${(err as Error).message}` });
      }
    }
    const t = await cpuTemperature(temperature.path);
    if (t !== null) this.emit('temperature', temperatureVerdict(t, temperature));
    this.emit('clock', clockVerdict(this.now(), this.deps.clockOffsetMs?.() ?? null, clock));
    this.refresh(false);
  }

  private emit(component: string, v: Verdict): void {
    this.deps.bus.emit('health', { component, light: v.light, reason: v.reason, at: this.now() });
  }

  private display(): Lights {
    const now = this.now();
    const reports = [...this.latest.values()].map((r) => {
      const limit = this.deps.staleAfterMs?.[r.component];
      if (limit === undefined || now - r.at <= limit) return r;
      const s = Math.round((now - r.at) / 1000);
      return { ...r, light: 'red' as const, reason: `no report for ${s} s (stage not responding)` };
    });
    for (const c of this.deps.required ?? []) {
      if (!this.latest.has(c))
        reports.push({ component: c, light: 'amber', reason: 'not reported yet', at: 0 });
    }
    const lights = foldLights(reports, this.deps.expected);
    return this.phase === 'starting' ? startingLights(lights) : lights;
  }

  /**
   * Takes back a report that no longer holds (a part that failed to start has started since),
   * unless the component has reported anew: its light is folded from the rest until it does.
   */
  withdraw(r: HealthReport): void {
    const now = this.latest.get(r.component);
    if (!now || now.reason !== r.reason || now.light !== r.light) return;
    this.latest.delete(r.component);
    this.deps.log.info({ component: r.component }, 'health report withdrawn');
    this.refresh(false);
  }

  private report(r: HealthReport): void {
    const prev = this.latest.get(r.component);
    this.latest.set(r.component, r);
    // Always re-derive: an unchanged report still refreshes a light that had gone stale.
    if (!prev || prev.light !== r.light) {
      const level = r.light === 'red' ? 'warn' : r.light === 'amber' ? 'info' : 'debug';
      this.deps.log[level]({ component: r.component, light: r.light, reason: r.reason }, 'health changed');
    }
    this.refresh(false);
  }

  private refresh(force: boolean): void {
    // After stop() (a check still in flight): the LEDs stay dark.
    if (!this.off) return;
    const next = this.display();
    const changed = JSON.stringify(next) !== JSON.stringify(this.shown);
    this.shown = next;
    if (!changed && !force) return;
    if (this.leds.enabled) this.ledQueue = this.ledQueue.then(() => this.leds.show(next));
    for (const fn of this.listeners) fn(next);
  }

  /** Settles LED writes (tests). */
  flush(): Promise<void> {
    return this.ledQueue;
  }
}
