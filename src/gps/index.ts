/**
 * The GPS stage: a receiver (serial, gpsd or replay) → fixes on the bus, the GPS light, and an
 * honest position for every read. Non-critical: without GPS the unit keeps reading plates and
 * says so on each read (position null with a reason) and on the light.
 */
import type { Config } from '../config/schema.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import { feeding } from '../core/crash-guard.ts';
import { guarded, RejectCounter } from '../core/rejects.ts';
import type { Stage } from '../core/stage.ts';
import type { Fix, HealthReport, ReadPosition } from '../domain/types.ts';
import { reasonWords } from '../domain/lights.ts';
import { NmeaDecoder } from './decoder.ts';
import type { FixEvent } from './fix-state.ts';
import { type GpsLight, gpsLight } from './gps-health.ts';
import { GpsdSource } from './gpsd-source.ts';
import { readPosition } from './position.ts';
import { ReplaySource } from './replay-source.ts';
import { SerialSource } from './serial-source.ts';
import type { GpsSink, GpsSource } from './source.ts';

export type GpsConfig = Config['gps'];
type ActiveGpsConfig = Exclude<GpsConfig, { type: 'none' }>;

export interface GpsStageDeps {
  bus: Bus;
  log: Logger;
  config: GpsConfig;
  /** Tests inject a source; otherwise it is built from config.type. */
  source?: GpsSource;
  /** How often the light is re-evaluated (ms). */
  tickMs?: number;
}

/** What `alpr gps monitor` shows. */
export interface GpsStatus {
  source: string;
  light: GpsLight;
  lastFix: Fix | null;
  position: ReadPosition;
  clockOffsetMs: number | null;
  satellitesInView: number | null;
  sentences: { ok: number; badChecksum: number; noChecksum: number; garbage: number; rejected: number };
}

const OFFSET_SAMPLES = 15;
/** Clock offsets older than this are not reported: the system clock may have been stepped since. */
const OFFSET_MAX_AGE_MS = 5 * 60_000;
/** The light is re-sent this often even when unchanged, so the health stage sees the GPS is alive. */
const HEALTH_REPEAT_MS = 30_000;

export function createGpsSource(config: ActiveGpsConfig, log: Logger): GpsSource {
  switch (config.type) {
    case 'serial':
      return new SerialSource({
        path: config.path,
        baud: config.baud,
        reconnectMaxS: config.reconnectMaxS,
        log,
      });
    case 'gpsd':
      return new GpsdSource({
        host: config.host,
        port: config.port,
        device: config.device,
        reconnectMaxS: config.reconnectMaxS,
        log,
      });
    case 'replay':
      return new ReplaySource({
        path: config.path,
        speed: config.speed,
        loop: config.loop,
        startAtFix: config.startAtFix,
        log,
      });
  }
}

export class GpsStage implements Stage {
  readonly name = 'gps';
  readonly critical = false;
  /** Sentences refused and data handlers that failed: counted, warned about once a minute. */
  readonly rejects: RejectCounter;
  private readonly decoder: NmeaDecoder;
  private source: GpsSource | null = null;
  private tick: NodeJS.Timeout | null = null;
  private lastDataAt: number | null = null;
  /** First byte after the last valid NMEA sentence (null: the last data held one). */
  private noSentenceSince: number | null = null;
  /** The decoder's unreadable-line count at the last valid sentence. */
  private unreadableAtSentence = 0;
  private linkUp = false;
  private linkReason = 'GPS receiver not started';
  private lastFix: Fix | null = null;
  private fixLost = false;
  /**
   * The receiver's time of day it keeps sending fixes under without moving on (a receiver frozen
   * on its last fix), or null while its time moves.
   */
  private repeating: string | null = null;
  private offsets: { offset: number; at: number }[] = [];
  private light: GpsLight | null = null;
  private lightSentAt = 0;
  private startedAt: number | undefined;
  private linkReported = false;

  constructor(private readonly deps: GpsStageDeps) {
    this.rejects = new RejectCounter(deps.log, 'GPS input rejected');
    this.decoder = new NmeaDecoder((reason) => this.rejects.reject(reason));
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    if (config.type === 'none') {
      this.linkReason = 'GPS is switched off in the config (gps.type: none)';
      this.evaluate(true);
      return;
    }
    this.startedAt = Date.now();
    this.source = this.deps.source ?? createGpsSource(config, log);
    log.info({ source: this.source.description }, 'GPS stage starting');
    await this.source.start(this.sink());
    this.tick = setInterval(() => this.evaluate(false), this.deps.tickMs ?? 1000);
    this.tick.unref();
    this.evaluate(true);
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    await this.source?.stop();
    this.source = null;
  }

  /** The position a read captured at `atMs` (system clock) carries. Never a stale fix as fresh. */
  position(atMs: number): ReadPosition {
    const c = this.deps.config;
    const active = c.type !== 'none';
    return readPosition({
      atMs,
      configured: active,
      lastDataAt: this.lastDataAt,
      lastFix: this.lastFix,
      fixLost: this.fixLost,
      maxFixAgeMs: active ? c.maxFixAgeS * 1000 : 0,
      noDataTimeoutMs: active ? c.noDataTimeoutS * 1000 : 0,
      deadReckonMs: active ? c.deadReckonS * 1000 : 0,
    });
  }

  /**
   * Receiver UTC minus system clock in ms (median of recent fixes), or null without a recent timed
   * fix. Positive: the system clock is behind. NMEA arrives after its epoch, so a serial receiver
   * reads a few hundred ms negative even on a perfect clock.
   */
  clockOffsetMs(now = Date.now()): number | null {
    const recent = this.offsets.filter((o) => now - o.at <= OFFSET_MAX_AGE_MS).map((o) => o.offset);
    if (recent.length === 0) return null;
    recent.sort((a, b) => a - b);
    return recent[Math.floor(recent.length / 2)]!;
  }

  status(now = Date.now()): GpsStatus {
    return {
      source: this.source?.description ?? 'none',
      light: this.computeLight(now),
      lastFix: this.lastFix,
      position: this.position(now),
      clockOffsetMs: this.clockOffsetMs(now),
      satellitesInView: this.decoder.satellitesInView(),
      sentences: { ...this.decoder.stats },
    };
  }

  /**
   * What the source calls with receiver data. Every callback is guarded: the source's data handler
   * (a serial port, a socket) must never see a throw, whatever the receiver sent.
   */
  private sink(): GpsSink {
    const guard = (what: string, fn: () => void) => guarded(this.rejects, what, fn);
    return {
      bytes: (chunk, at) =>
        feeding('gps', 'gps', () =>
          guard('NMEA data', () => {
            // data again after a silence: the bytes-without-a-sentence count starts anew
            if (this.lastDataAt !== null && at - this.lastDataAt > this.noDataTimeoutMs())
              this.sentenceSeen();
            this.lastDataAt = at;
            const ok = this.decoder.stats.ok;
            const events = this.decoder.push(chunk, at);
            if (this.decoder.stats.ok > ok) this.sentenceSeen();
            else this.noSentenceSince ??= at;
            this.onEvents(events);
          }),
        ),
      fix: (fix) =>
        feeding('gps', 'gps', () =>
          guard('gpsd fix', () => {
            this.lastDataAt = fix.receivedAt;
            this.sentenceSeen();
            this.onEvents([{ type: 'fix', fix }]);
          }),
        ),
      noFix: (at) =>
        guard('gpsd no-fix', () => {
          this.lastDataAt = at;
          this.sentenceSeen();
          this.onEvents([{ type: 'nofix', time: null, at }]);
        }),
      alive: (at) => {
        this.lastDataAt = at;
        this.sentenceSeen();
      },
      link: (up, reason) =>
        guard('GPS link change', () => {
          this.linkUp = up;
          this.linkReason = reason;
          this.linkReported = true;
          // a new link starts a new count of bytes without a sentence (no silence counted in it)
          this.sentenceSeen();
          this.evaluate(false);
        }),
    };
  }

  private noDataTimeoutMs(): number {
    const c = this.deps.config;
    return c.type === 'none' ? 0 : c.noDataTimeoutS * 1000;
  }

  /** A valid sentence (or a new start): the count of bytes without one begins again. */
  private sentenceSeen(): void {
    this.noSentenceSince = null;
    this.unreadableAtSentence = unreadable(this.decoder.stats);
  }

  private onEvents(events: FixEvent[]): void {
    for (const e of events) {
      if (e.type === 'nofix') {
        this.fixLost = true;
        continue;
      }
      // A fix under the receiver's time of the last one is that fix again, not a new one: a
      // receiver stuck on it would keep a frozen position fresh on every read, and its frozen time
      // would put the system clock wrong. Its position ages as a stale one instead.
      if (e.fix.time !== null && e.fix.time === this.lastFix?.time && !this.fixLost) {
        this.repeating = e.fix.time;
        continue;
      }
      this.repeating = null;
      this.lastFix = e.fix;
      this.fixLost = false;
      const offset = e.fix.time === null ? Number.NaN : Date.parse(e.fix.time) - e.fix.receivedAt;
      if (Number.isFinite(offset)) {
        this.offsets.push({ offset, at: e.fix.receivedAt });
        if (this.offsets.length > OFFSET_SAMPLES) this.offsets.shift();
      }
      this.deps.log.debug({ fix: e.fix }, 'GPS fix');
      this.deps.bus.emit('fix', e.fix);
    }
    if (events.length > 0) this.evaluate(false);
  }

  private computeLight(now: number): GpsLight {
    const c = this.deps.config;
    if (c.type === 'none') return { light: 'red', reason: this.linkReason };
    return gpsLight({
      now,
      lastDataAt: this.lastDataAt,
      noSentenceSince: this.noSentenceSince,
      unreadableLines: unreadable(this.decoder.stats) - this.unreadableAtSentence,
      linkUp: this.linkUp,
      linkReason: this.linkReason,
      startedAt: this.startedAt,
      linkReported: this.linkReported,
      lastFix: this.lastFix,
      repeating: this.repeating,
      fixLost: this.fixLost,
      satellitesInView: this.decoder.satellitesInView(),
      maxFixAgeMs: c.maxFixAgeS * 1000,
      noDataTimeoutMs: c.noDataTimeoutS * 1000,
      minQuality: c.minQuality,
    });
  }

  /**
   * Sends the light when its colour or the words of its reason change (`not started` → `cannot
   * open /dev/ttyUSB0`: the officer needs the cause at once), and every HEALTH_REPEAT_MS regardless
   * (counts in the reason, a fix's satellites, go out then).
   */
  private evaluate(force: boolean): void {
    const now = Date.now();
    const l = this.computeLight(now);
    const changed = this.light?.light !== l.light;
    const reworded = this.light !== null && reasonWords(this.light.reason) !== reasonWords(l.reason);
    if (!force && !changed && !reworded && now - this.lightSentAt < HEALTH_REPEAT_MS) return;
    if (changed) this.deps.log.info({ light: l.light, reason: l.reason }, 'GPS light');
    this.light = l;
    this.lightSentAt = now;
    const report: HealthReport = { component: 'gps', light: l.light, reason: l.reason, at: now };
    this.deps.bus.emit('health', report);
  }
}

/** Lines the framer refused: not NMEA at all, or without a right checksum. */
function unreadable(s: { garbage: number; badChecksum: number; noChecksum: number }): number {
  return s.garbage + s.badChecksum + s.noChecksum;
}
