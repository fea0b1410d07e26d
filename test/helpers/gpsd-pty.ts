/**
 * A real gpsd reading a socat pseudo-terminal that the test writes NMEA into. Unlike gpsfake,
 * nothing is written until the test says so, so a client can be watching before the first
 * sentence (gpsfake starts feeding as soon as its gpsd is up, which a loaded machine can lose).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GpsdPty {
  /** Writes the log's sentences (comment lines dropped) one by one, `cycleMs` apart. */
  feed(log: Buffer, cycleMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`gpsd-pty: ${what} within ${ms} ms`);
    await sleep(20);
  }
}

function stopChild(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 3000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

/** Sentences of a gpsd regression log: every line that is not a `#` comment, CRLF-terminated. */
export function sentences(log: Buffer): Buffer[] {
  return log
    .toString('latin1')
    .split(/\r?\n/)
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => Buffer.from(`${l}\r\n`, 'latin1'));
}

export async function startGpsdPty(port: number): Promise<GpsdPty> {
  const dir = mkdtempSync(join(tmpdir(), 'alpr-gpsd-'));
  const dev = join(dir, 'gps');
  const feedPath = join(dir, 'feed');
  const socat = spawn('socat', [`pty,raw,echo=0,perm=0666,link=${dev}`, `pty,raw,echo=0,link=${feedPath}`], {
    stdio: 'ignore',
  });
  await until(() => existsSync(dev) && existsSync(feedPath), 5000, 'socat made no ptys');
  // -N foreground, -n open the device now, -b never write to it, -S our port.
  const gpsd = spawn('gpsd', ['-N', '-n', '-b', '-S', String(port), dev], { stdio: 'ignore' });
  const fd = openSync(feedPath, 'w');
  return {
    async feed(log, cycleMs) {
      for (const s of sentences(log)) {
        writeSync(fd, s);
        await sleep(cycleMs);
      }
    },
    async stop() {
      await stopChild(gpsd);
      closeSync(fd);
      await stopChild(socat);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
