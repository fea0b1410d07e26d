/**
 * Reading retained messages again on a clustered broker. A NATS JetStream node (2.9) answers a
 * new subscription with the retained messages in its own view, and learns of those published
 * through another node from a consumer of the cluster's retained-message stream. While that
 * consumer has no leader (the seconds after a node is lost, in our trials until the node is back)
 * a subscription is granted with nothing retained, or an older version, and nothing tells the
 * client. So after each connect a subscriber reads its retained topics again after min·2^n
 * (jittered, as core/broker-backoff.ts), then every max, for as long as the connection lasts.
 */
import { retryDelayMs } from './broker-backoff.ts';

export interface RefreshScheduleOptions {
  /** The first re-read after a connect; each next one waits twice as long. */
  minMs: number;
  /** The longest wait, then the steady period. */
  maxMs: number;
  rand?: () => number;
}

export class RefreshSchedule {
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;
  /** Re-reads run, for status and tests. */
  runs = 0;

  constructor(
    private readonly o: RefreshScheduleOptions,
    private readonly run: () => void,
  ) {}

  /** Starts again from the shortest wait: call on every connect. */
  restart(): void {
    if (this.stopped) return;
    this.clear();
    this.attempt = 0;
    this.next();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private next(): void {
    const wait = retryDelayMs(this.attempt++, this.o.minMs, this.o.maxMs, (this.o.rand ?? Math.random)());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      this.runs++;
      this.run();
      this.next();
    }, wait);
    this.timer.unref();
  }
}
