/**
 * The unit's own state for the fleet: the health lights (retained, on every change and
 * periodically) and the heartbeat (retained, periodically). Live state, not records: it is
 * published only while connected and never queued in the outbox; the retained copy is what a
 * server that subscribes later sees.
 */
import type { TelemetryConfig } from '../config/sections/telemetry.ts';
import type { Logger } from '../core/log.ts';
import type { TelemetryPort } from '../domain/ports.ts';
import { payloads, type UnitRef } from './topics.ts';

/** Publishes one retained QoS 1 message; resolves on the broker's acknowledgement. */
export type RetainedPublish = (topic: string, body: string) => Promise<void>;

export interface TelemetryOptions {
  port: TelemetryPort;
  unit: UnitRef;
  topics: { health: string; heartbeat: string };
  config: Pick<TelemetryConfig, 'healthIntervalS' | 'heartbeatIntervalS'>;
  outboxDepth: () => number;
  log: Logger;
  now: () => number;
}

/** Health changes closer together than this are coalesced into one message. */
export const HEALTH_MIN_GAP_MS = 1000;

export class TelemetryPublisher {
  private publishFn: RetainedPublish | null = null;
  private timers: NodeJS.Timeout[] = [];
  private pending: NodeJS.Timeout | null = null;
  private off: (() => void) | null = null;
  private lastHealthAt = 0;
  /** The last problem logged per kind: each distinct problem is logged once. */
  private readonly lastError = new Map<'health' | 'heartbeat', string>();
  /** Counters for tests and status. */
  readonly stats = { health: 0, heartbeat: 0, failed: 0 };

  constructor(private readonly o: TelemetryOptions) {}

  /** The link is up (the broker accepted our status): publish now, then periodically. */
  connected(publish: RetainedPublish): void {
    this.disconnected();
    this.publishFn = publish;
    this.off = this.o.port.onHealthChange(() => this.healthChanged());
    const every = (s: number, fn: () => void) => {
      const t = setInterval(fn, s * 1000);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.config.healthIntervalS, () => void this.publishHealth());
    every(this.o.config.heartbeatIntervalS, () => void this.publishHeartbeat());
    void this.publishHealth();
    void this.publishHeartbeat();
  }

  /** The link is down or the stage stops: nothing more until the next connection. */
  disconnected(): void {
    this.publishFn = null;
    this.off?.();
    this.off = null;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.pending) clearTimeout(this.pending);
    this.pending = null;
  }

  private healthChanged(): void {
    if (!this.publishFn || this.pending) return;
    const wait = this.lastHealthAt + HEALTH_MIN_GAP_MS - this.o.now();
    if (wait <= 0) {
      void this.publishHealth();
      return;
    }
    this.pending = setTimeout(() => {
      this.pending = null;
      void this.publishHealth();
    }, wait);
  }

  async publishHealth(): Promise<void> {
    const publish = this.publishFn;
    if (!publish) return;
    this.lastHealthAt = this.o.now();
    const body = payloads.health(this.o.unit, this.o.port.health(), this.o.now());
    await this.send(publish, this.o.topics.health, body, 'health');
  }

  async publishHeartbeat(): Promise<void> {
    const publish = this.publishFn;
    if (!publish) return;
    let body: ReturnType<typeof payloads.heartbeat>;
    try {
      const hb = await this.o.port.heartbeat();
      body = payloads.heartbeat(this.o.unit, hb, this.o.outboxDepth(), this.o.now());
    } catch (err) {
      this.fail('heartbeat', `heartbeat not built: ${(err as Error).message}`);
      return;
    }
    await this.send(publish, this.o.topics.heartbeat, body, 'heartbeat');
  }

  private async send(
    publish: RetainedPublish,
    topic: string,
    body: object,
    kind: 'health' | 'heartbeat',
  ): Promise<void> {
    try {
      await publish(topic, JSON.stringify(body));
      this.stats[kind]++;
      this.lastError.delete(kind);
    } catch (err) {
      this.fail(kind, `${kind} not published: ${(err as Error).message}`);
    }
  }

  private fail(kind: 'health' | 'heartbeat', msg: string): void {
    this.stats.failed++;
    // Once per distinct problem: a refused topic would otherwise log every minute.
    if (msg !== this.lastError.get(kind)) this.o.log.warn({ err: msg }, 'telemetry');
    this.lastError.set(kind, msg);
  }
}
