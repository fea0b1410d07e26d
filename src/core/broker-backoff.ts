/**
 * Reconnecting a broker client with capped, jittered backoff and one warning per outage.
 *
 * mqtt.js retries at a fixed period (1 s by default) and emits an error on every failed attempt:
 * a broker down for three minutes gave 426 warnings from the hot-list and roster subscribers. Here
 * the client's own retry is off (reconnectPeriod 0); after each close the next attempt waits
 * min·2^n (jittered, capped at max), so a long outage costs few attempts, and the cap keeps the
 * wait after the broker's return within a few seconds. The first failure of an outage is a
 * warning; the retries after it are debug; the return is one info line with the outage length.
 */

/** What the backoff needs of a broker client (mqtt.js MqttClient fits). */
export interface BrokerClient {
  on(event: 'connect' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  reconnect(): unknown;
}

export interface BackoffLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface BrokerBackoffOptions {
  minMs: number;
  maxMs: number;
  /** Names the link in the log lines: `hot-list sync`. */
  what: string;
  log: BackoffLog;
  now?: () => number;
  rand?: () => number;
}

/** The wait before retry number `attempt` (0-based): half to all of min·2^attempt, capped at max. */
export function retryDelayMs(attempt: number, minMs: number, maxMs: number, rand: number): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (cap / 2) * rand);
}

export class BrokerBackoff {
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** When the current outage began (first failure), or null while the link is up. */
  private downSince: number | null = null;
  private readonly now: () => number;
  private readonly rand: () => number;
  /** Outages seen and retries made, for status and tests. */
  readonly stats = { outages: 0, retries: 0 };

  constructor(
    private readonly client: BrokerClient,
    private readonly o: BrokerBackoffOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.rand = o.rand ?? Math.random;
  }

  /** Listens to the client; call once, right after creating it. */
  attach(): void {
    this.client.on('connect', () => this.onConnect());
    this.client.on('error', (err) => this.onFailure(err.message));
    this.client.on('close', () => {
      this.onFailure('connection closed');
      this.schedule();
    });
  }

  /** No more retries (the stage is stopping). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private onConnect(): void {
    if (this.downSince !== null) {
      this.o.log.info(
        { downMs: this.now() - this.downSince, retries: this.attempt },
        `${this.o.what}: broker reachable again`,
      );
    }
    this.downSince = null;
    this.attempt = 0;
  }

  private onFailure(reason: string): void {
    if (this.stopped) return;
    if (this.downSince === null) {
      this.downSince = this.now();
      this.stats.outages++;
      this.o.log.warn({ err: reason }, `${this.o.what}: broker not reachable; retrying with backoff`);
    } else {
      this.o.log.debug({ err: reason }, `${this.o.what}: still not reachable`);
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = retryDelayMs(this.attempt++, this.o.minMs, this.o.maxMs, this.rand());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      this.stats.retries++;
      this.client.reconnect();
    }, wait);
    this.timer.unref();
  }
}
