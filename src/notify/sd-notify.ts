/**
 * sd_notify(3) in TypeScript: datagrams to $NOTIFY_SOCKET through the `unix-dgram` native module
 * (Node has no AF_UNIX datagram sockets). Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
 *
 * The watchdog pinger sends WATCHDOG=1 at half of $WATCHDOG_USEC, but only while the liveness
 * callback says the main loop is alive: a hung pipeline stops the pings and systemd restarts us.
 */
import { createRequire } from 'node:module';
import type { Logger } from '../core/log.ts';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  close(): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

const require = createRequire(import.meta.url);

export interface NotifierOptions {
  /** $NOTIFY_SOCKET: a socket path, or '@name' for the abstract namespace. */
  socket?: string | undefined;
  /** $WATCHDOG_USEC, when systemd set it for this process. */
  watchdogUsec?: number | undefined;
  log?: Logger | undefined;
}

/** Options from the environment systemd gives a Type=notify service (WATCHDOG_PID must be us). */
export function notifierEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): NotifierOptions {
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === pid;
  return {
    socket: env.NOTIFY_SOCKET || undefined,
    watchdogUsec: forUs && Number.isFinite(usec) && usec > 0 ? usec : undefined,
  };
}

/** Ping interval for a watchdog of `usec` microseconds: half of it, as sd_watchdog_enabled(3) advises. */
export function pingIntervalMs(usec: number): number {
  return Math.max(1, Math.floor(usec / 2000));
}

export class Notifier {
  private sock: DgramSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private hung = false;
  private disabled = false;
  private lastStatus: string | null = null;

  constructor(private readonly opts: NotifierOptions = notifierEnv()) {}

  /** True when there is a systemd socket to talk to. */
  get enabled(): boolean {
    return !!this.opts.socket && !this.disabled;
  }

  /** Watchdog interval systemd asked for, in ms, or null. */
  get watchdogMs(): number | null {
    return this.opts.watchdogUsec ? this.opts.watchdogUsec / 1000 : null;
  }

  /** READY=1: only after the model is warm and the database open. */
  ready(status?: string): Promise<void> {
    if (status) this.lastStatus = status;
    return this.send(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
  }

  stopping(status?: string): Promise<void> {
    this.stopWatchdog();
    return this.send(status ? `STOPPING=1\nSTATUS=${status}` : 'STOPPING=1');
  }

  /** STATUS=… (shown by `systemctl status`); a repeat of the last status is not sent again. */
  status(text: string): Promise<void> {
    const line = text.replace(/\n/g, ' ');
    if (line === this.lastStatus) return Promise.resolve();
    this.lastStatus = line;
    return this.send(`STATUS=${line}`);
  }

  /**
   * Pings WATCHDOG=1 at half the interval while `alive()` is true. Returns false (and does nothing)
   * when systemd set no watchdog for this process.
   */
  startWatchdog(alive: () => boolean): boolean {
    const usec = this.opts.watchdogUsec;
    if (!usec || !this.enabled || this.timer) return false;
    this.timer = setInterval(() => {
      let ok = false;
      try {
        ok = alive();
      } catch (err) {
        this.opts.log?.error({ err }, 'liveness check failed');
      }
      if (ok) {
        if (this.hung) this.opts.log?.warn('main loop alive again: watchdog pings resume');
        this.hung = false;
        void this.send('WATCHDOG=1');
      } else if (!this.hung) {
        this.hung = true;
        this.opts.log?.error('main loop looks hung: watchdog pings stop (systemd will restart the daemon)');
      }
    }, pingIntervalMs(usec));
    this.timer.unref();
    return true;
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stopWatchdog();
    try {
      this.sock?.close();
    } catch {
      // Already closed.
    }
    this.sock = null;
  }

  private send(text: string): Promise<void> {
    const path = this.opts.socket;
    if (!path || this.disabled) return Promise.resolve();
    if (path.startsWith('@')) {
      // unix-dgram copies the address with strncpy: a leading NUL (abstract namespace) cannot pass.
      this.disabled = true;
      this.opts.log?.warn({ socket: path }, 'abstract NOTIFY_SOCKET is not supported: sd_notify disabled');
      return Promise.resolve();
    }
    if (!this.sock) {
      const ud = require('unix-dgram') as UnixDgram;
      this.sock = ud.createSocket('unix_dgram');
      this.sock.on('error', (err) => this.opts.log?.warn({ err: err.message }, 'sd_notify socket error'));
    }
    const buf = Buffer.from(text);
    const sock = this.sock;
    return new Promise((resolve) => {
      sock.send(buf, 0, buf.length, path, (err) => {
        if (err) this.opts.log?.warn({ err: err.message, msg: text.split('\n')[0] }, 'sd_notify failed');
        resolve();
      });
    });
  }
}
