/** A receiver on a serial port (USB or UART), reopened with backoff after it is unplugged. */
import { SerialPort } from 'serialport';
import type { Logger } from '../core/log.ts';
import { backoffMs, type GpsSink, type GpsSource } from './source.ts';

export interface SerialSourceOptions {
  path: string;
  baud: number;
  reconnectMaxS: number;
  log: Logger;
}

export class SerialSource implements GpsSource {
  readonly description: string;
  private port: SerialPort | null = null;
  private sink: GpsSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(private readonly opts: SerialSourceOptions) {
    this.description = `serial ${opts.path} @${opts.baud}`;
  }

  async start(sink: GpsSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private open(): void {
    if (this.stopped) return;
    const { path, baud, log } = this.opts;
    const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
    this.port = port;
    port.on('data', (chunk: Buffer) => this.sink?.bytes(chunk, Date.now()));
    port.on('error', (err: Error) => log.debug({ err: err.message }, 'serial port error'));
    port.on('close', () => {
      if (this.port !== port) return;
      this.port = null;
      this.lost(`GPS receiver at ${path} went away (unplugged?)`);
    });
    port.open((err) => {
      if (this.port !== port) {
        if (!err) port.close();
        return;
      }
      if (err) {
        this.port = null;
        this.lost(`cannot open GPS receiver at ${path}: ${err.message}`);
        return;
      }
      this.attempt = 0;
      log.info({ path, baud }, 'GPS serial port open');
      this.sink?.link(true, `${path} open`);
    });
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    const first = this.attempt === 0;
    const wait = backoffMs(this.attempt++, this.opts.reconnectMaxS * 1000);
    // One warning per outage; the retries after it go to debug.
    if (first) this.opts.log.warn({ retryInMs: wait }, reason);
    else this.opts.log.debug({ retryInMs: wait }, reason);
    this.sink?.link(false, reason);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, wait);
    this.timer.unref();
  }
}
