/** A receiver on a serial port (USB or UART), reopened with backoff after it is unplugged. */
import { SerialPort } from 'serialport';
import type { Logger } from '../core/log.ts';
import { type GpsSink, type GpsSource, Reconnect } from './source.ts';

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
  private stopped = false;
  private reconnect: Reconnect | null = null;

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
    this.reconnect?.cancel();
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
      this.reconnect?.succeeded();
      log.info({ path, baud }, 'GPS serial port open');
      this.sink?.link(true, `${path} open`);
    });
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    this.sink?.link(false, reason);
    this.reconnect ??= new Reconnect(this.opts.reconnectMaxS * 1000, this.opts.log);
    this.reconnect.schedule(reason, () => this.open());
  }
}
