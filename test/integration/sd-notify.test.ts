import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier, notifierEnv, pingIntervalMs } from '../../src/notify/sd-notify.ts';

interface Sock {
  bind(path: string): void;
  on(ev: 'message', fn: (buf: Buffer) => void): void;
  close(): void;
}
const ud = createRequire(import.meta.url)('unix-dgram') as { createSocket(t: 'unix_dgram'): Sock };

const tmp = mkdtempSync(join(tmpdir(), 'alpr-notify-'));
const path = join(tmp, 'notify.sock');
const got: string[] = [];
const server = ud.createSocket('unix_dgram');
server.on('message', (b) => got.push(b.toString()));
server.bind(path);
afterAll(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(10))
    if (Date.now() > end) throw new Error('timed out');
}
const count = (m: string) => got.filter((g) => g === m).length;

describe('sd_notify against a socket the test owns', () => {
  it('reads its settings from systemd environment variables', () => {
    expect(notifierEnv({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000000' }, 42)).toEqual({
      socket: '/run/systemd/notify',
      watchdogUsec: 20_000_000,
    });
    // A watchdog meant for another process (WATCHDOG_PID) is not ours.
    expect(notifierEnv({ NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '5', WATCHDOG_PID: '7' }, 42).watchdogUsec).toBe(
      undefined,
    );
    expect(notifierEnv({}, 42)).toEqual({ socket: undefined, watchdogUsec: undefined });
    expect(pingIntervalMs(20_000_000)).toBe(10_000);
  });

  it('sends READY, STATUS, WATCHDOG while alive, none while hung, then STOPPING', async () => {
    let alive = true;
    const n = new Notifier({ socket: path, watchdogUsec: 80_000 });
    expect(n.enabled).toBe(true);
    expect(n.watchdogMs).toBe(80);
    await n.ready('model warm, database open');
    await until(() => got.length > 0);
    expect(got).toEqual(['READY=1\nSTATUS=model warm, database open']);
    expect(n.startWatchdog(() => alive)).toBe(true);
    await until(() => count('WATCHDOG=1') >= 3);
    alive = false;
    // Pings sent before this point may still be in the socket buffer.
    await sleep(200);
    const before = count('WATCHDOG=1');
    await sleep(300);
    expect(count('WATCHDOG=1')).toBe(before);
    alive = true;
    await until(() => count('WATCHDOG=1') > before);
    await n.status('2 cameras, 4.8 fps');
    await n.status('2 cameras, 4.8 fps');
    await n.stopping();
    await until(() => got.at(-1) === 'STOPPING=1');
    const after = count('WATCHDOG=1');
    await sleep(150);
    expect(count('WATCHDOG=1')).toBe(after);
    expect(got.slice(-2)).toEqual(['STATUS=2 cameras, 4.8 fps', 'STOPPING=1']);
    n.close();
  });

  it('is a no-op outside systemd, and disables itself for an abstract socket it cannot address', async () => {
    const none = new Notifier({});
    expect(none.enabled).toBe(false);
    await none.ready();
    expect(none.startWatchdog(() => true)).toBe(false);
    const warned: string[] = [];
    const log = { warn: (_o: unknown, m: string) => warned.push(m) } as never;
    const abs = new Notifier({ socket: '@alpr-test', watchdogUsec: 1_000_000, log });
    await abs.ready();
    expect(abs.enabled).toBe(false);
    expect(warned).toEqual(['abstract NOTIFY_SOCKET is not supported: sd_notify disabled']);
    abs.close();
  });

  it('reports a send failure instead of throwing (socket gone)', async () => {
    const warned: string[] = [];
    const log = { warn: (_o: unknown, m: string) => warned.push(m) } as never;
    const n = new Notifier({ socket: join(tmp, 'absent.sock'), log });
    await n.ready();
    expect(warned).toEqual(['sd_notify failed']);
    n.close();
  });
});

describe('sd_notify from a child process configured by systemd-style environment', () => {
  const child = resolve(import.meta.dirname, '../helpers/notify-child.ts');
  /** Runs the child; resolves with its messages once it sent STOPPING=1 and exited. */
  async function run(env: Record<string, string>): Promise<string[]> {
    const start = got.length;
    const p = spawn(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (b) => {
      stderr += String(b);
    });
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    await until(() => got.slice(start).includes('STOPPING=1'));
    return got.slice(start);
  }

  it('READY, WATCHDOG at half of WATCHDOG_USEC, STOPPING; no pings for a watchdog meant for another PID', async () => {
    let mine = await run({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '100000' });
    expect(mine[0]).toBe('READY=1\nSTATUS=child ready');
    expect(mine.filter((m) => m === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(3);
    mine = await run({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' });
    expect(mine).toEqual(['READY=1\nSTATUS=child ready', 'STOPPING=1']);
  }, 60_000);
});
