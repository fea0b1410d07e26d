/** Positions from a gpsd daemon over TCP (its JSON protocol), reconnecting with backoff. */
import { type Socket, connect } from 'node:net';
import type { Logger } from '../core/log.ts';
import { parseGpsdLine, watchCommand } from './gpsd-json.ts';
import { type GpsSink, type GpsSource, Reconnect } from './source.ts';

export interface GpsdSourceOptions {
  host: string;
  port: number;
  device?: string | undefined;
  reconnectMaxS: number;
  log: Logger;
}

/** gpsd lines are short; anything longer without a newline is not gpsd. */
const MAX_LINE = 1 << 20;

export class GpsdSource implements GpsSource {
  readonly description: string;
  private socket: Socket | null = null;
  private sink: GpsSink | null = null;
  private stopped = false;
  private reconnect: Reconnect | null = null;
  private buf = '';
  private sky: { hdop: number | null; used: number | null } = { hdop: null, used: null };

  constructor(private readonly opts: GpsdSourceOptions) {
    this.description = `gpsd ${opts.host}:${opts.port}${opts.device ? ` ${opts.device}` : ''}`;
  }

  async start(sink: GpsSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnect?.cancel();
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const { host, port, log } = this.opts;
    const s = connect({ host, port });
    this.socket = s;
    this.buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => {
      this.reconnect?.succeeded();
      log.info({ host, port }, 'connected to gpsd');
      s.write(watchCommand(this.opts.device));
      this.sink?.link(true, `gpsd ${host}:${port} connected`);
    });
    s.on('data', (text: string) => this.onData(text));
    s.on('error', (err) => log.debug({ err: err.message }, 'gpsd socket error'));
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.lost(`gpsd at ${host}:${port} not reachable or closed the connection`);
    });
  }

  private onData(text: string): void {
    this.buf += text;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onLine(line);
      nl = this.buf.indexOf('\n');
    }
    if (this.buf.length > MAX_LINE) this.buf = '';
  }

  private onLine(line: string): void {
    try {
      this.handleLine(line);
    } catch (err) {
      // The socket's data handler must never throw; the stage's sink counts its own failures.
      this.opts.log.debug({ err: (err as Error).message }, 'gpsd line could not be handled');
    }
  }

  private handleLine(line: string): void {
    const now = Date.now();
    const m = parseGpsdLine(line, now, this.sky);
    if (!m || !this.sink) return;
    if (m.kind === 'sky') {
      this.sky = { hdop: m.hdop, used: m.used };
      this.sink.alive(now);
    } else if (m.kind === 'fix') {
      this.sink.fix(m.fix);
    } else if (m.kind === 'nofix') {
      this.sink.noFix(now);
    }
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    this.sink?.link(false, reason);
    this.reconnect ??= new Reconnect(this.opts.reconnectMaxS * 1000, this.opts.log);
    this.reconnect.schedule(reason, () => this.connect());
  }
}
