/**
 * The hardware seam of the GPS stage: a source delivers what a receiver says. Serial and replay
 * sources give raw NMEA bytes (decoded by the stage, one path for both); the gpsd source gives
 * positions gpsd has already decoded.
 */
import type { Fix } from '../domain/types.ts';

export interface GpsSink {
  /** NMEA bytes from a receiver, as they arrived at `at` (system clock, epoch ms). */
  bytes(chunk: Buffer, at: number): void;
  /** A position decoded upstream (gpsd TPV). */
  fix(fix: Fix): void;
  /** An epoch without a fix, decoded upstream. */
  noFix(at: number): void;
  /** Any other sign of life from the receiver (gpsd SKY), for the no-data timer. */
  alive(at: number): void;
  /** The device or connection came up or went away, with a reason a technician understands. */
  link(up: boolean, reason: string): void;
}

export interface GpsSource {
  /** For logs and the monitor: `serial /dev/ttyUSB0 @9600`. */
  readonly description: string;
  /** Starts delivering; never throws for a missing device (the source keeps retrying). */
  start(sink: GpsSink): Promise<void>;
  stop(): Promise<void>;
}

/** Retry delay after `attempt` consecutive failures: 0.5 s doubling, capped at `maxMs`. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 500 * 2 ** Math.min(attempt, 20));
}

/**
 * Reopening a lost device with backoff, shared by the serial and gpsd sources: one warning per
 * outage, the retries after it at debug level.
 */
export class Reconnect {
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly maxMs: number,
    private readonly log: { warn: (o: object, m: string) => void; debug: (o: object, m: string) => void },
  ) {}

  /** The device answered: the next outage starts from the shortest wait again. */
  succeeded(): void {
    this.attempt = 0;
  }

  /** Logs why the link was lost and calls `retry` after the backoff. */
  schedule(reason: string, retry: () => void): void {
    const first = this.attempt === 0;
    const wait = backoffMs(this.attempt++, this.maxMs);
    if (first) this.log.warn({ retryInMs: wait }, reason);
    else this.log.debug({ retryInMs: wait }, reason);
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = null;
      retry();
    }, wait);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
