/**
 * Real captures through a pseudo-terminal made by socat into the real serialport source, and an
 * unplug (socat killed) and replug: the light goes red, then green again; and a device missing at
 * start-up, named at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { gpsSection } from '../../src/config/sections/gps.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Fix, HealthReport } from '../../src/domain/types.ts';
import { type DecoderStats, NmeaDecoder } from '../../src/gps/decoder.ts';
import { GpsStage } from '../../src/gps/index.ts';
import { compareWithOracle, oracleTpvs } from './gps-oracle.ts';
import { hasSocat } from '../helpers/tools.ts';

const DIR = fileURLToPath(new URL('../../../shared/data/nmea', import.meta.url));
const ROUTE = fileURLToPath(new URL('../../fixtures/gps/demo-route.nmea', import.meta.url));
const LOGS = ['neo-m8n.log', 'gp-320fw-2019-04-07-coldboot.log', 'sirfstarv-nmea.log', 'foretrex-201.log'];
const have = existsSync(DIR);
if (!hasSocat) console.warn('gps-serial-pty: skipped, socat is not installed (apt-get install socat)');
if (!have) console.warn(`gps-serial-pty: captures skipped, ${DIR} is absent`);

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(join(tmpdir(), 'alpr-gps-pty-'));
const children = new Set<ChildProcess>();
const stages = new Set<GpsStage>();

afterAll(async () => {
  for (const s of stages) await s.stop();
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * A virtual null-modem cable: `dev` is the receiver's port, `feed` the receiver itself. A socat
 * that exits before both links are up (its words are kept) is started again: the cable, not the
 * source under test, failed.
 */
async function cable(name: string): Promise<{ dev: string; feed: string; proc: ChildProcess }> {
  const dev = join(tmp, `${name}-dev`);
  const feed = join(tmp, `${name}-feed`);
  const said: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const proc = spawn('socat', [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${feed}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (b: Buffer) => said.push(b.toString()));
    children.add(proc);
    proc.on('exit', () => children.delete(proc));
    const up = () => existsSync(dev) && existsSync(feed);
    for (let i = 0; i < 500 && !up() && proc.exitCode === null; i++) await sleep(10);
    if (up() && proc.exitCode === null) return { dev, feed, proc };
    proc.kill('SIGKILL');
  }
  throw new Error(`socat gave no cable for ${name}: ${said.join('')}`);
}

async function unplug(proc: ChildProcess): Promise<void> {
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

/** Writes bytes as a receiver would: in small slices, paced. */
async function send(feed: string, bytes: Buffer, chunk = 256, gapMs = 2): Promise<void> {
  // 'r+' as a receiver would: never creating a file where the unplugged cable's link was (a file
  // there, made between socat's unlink and symlink, would stop the next cable coming up)
  const fh = await open(feed, 'r+');
  try {
    for (let i = 0; i < bytes.length; i += chunk) {
      await fh.write(bytes.subarray(i, i + chunk));
      await sleep(gapMs);
    }
  } finally {
    await fh.close();
  }
}

function startStage(dev: string, extra: Record<string, unknown> = {}) {
  const bus = new Bus();
  const fixes: Fix[] = [];
  const health: HealthReport[] = [];
  bus.on('fix', (f) => fixes.push(f));
  bus.on('health', (h) => health.push(h));
  const config = gpsSection.parse({ type: 'serial', path: dev, baud: 9600, reconnectMaxS: 1, ...extra });
  const stage = new GpsStage({ bus, log, config, tickMs: 50 });
  stages.add(stage);
  return { stage, fixes, health };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(20);
  return cond();
}

describe.skipIf(!hasSocat || !have)('serial source on a socat pty: real captures', () => {
  it.each(LOGS)('%s', async (name) => {
    const { dev, feed, proc } = await cable(name);
    const { stage, fixes, health } = startStage(dev);
    await stage.start();
    // bytes sent before the port is open are flushed by its open: wait until the light says so
    expect(await until(() => health.some((h) => h.reason.includes(`${dev} open`)), 5000)).toBe(true);
    const bytes = readFileSync(join(DIR, name));
    await send(feed, bytes);
    // wait until the stage has framed every line of the capture, as the same decoder does offline
    const framed = (s: DecoderStats) => s.ok + s.badChecksum + s.noChecksum + s.garbage;
    const offline = new NmeaDecoder();
    offline.push(bytes, 0);
    expect(await until(() => framed(stage.status().sentences) >= framed(offline.stats), 10_000)).toBe(true);
    const c = compareWithOracle(fixes, oracleTpvs(readFileSync(join(DIR, `${name}.chk`), 'utf8')));
    // A live stream never ends, so its last epoch is still open when the bytes stop.
    const lastOpen = c.problems.filter((p) => !p.endsWith('gpsd has a fix, we have none'));
    const missing = c.problems.length - lastOpen.length;
    expect(lastOpen).toEqual([]);
    expect(missing).toBeLessThanOrEqual(1);
    expect(c.matched).toBeGreaterThan(0);
    await stage.stop();
    stages.delete(stage);
    await unplug(proc);
  });
});

describe.skipIf(!hasSocat)('serial source: unplug and replug', () => {
  it('goes red when the receiver is unplugged and green again when it comes back', async () => {
    const route = readFileSync(ROUTE, 'latin1');
    // Skip the cold-start stretch: start where the fixes begin.
    const fixPart = Buffer.from(route.slice(route.lastIndexOf('$', route.indexOf(',A,'))), 'latin1');
    let cab = await cable('replug');
    const { stage, health } = startStage(cab.dev, { noDataTimeoutS: 1 });
    await stage.start();
    let feeding = true;
    let current = cab.feed;
    const feeder = (async () => {
      let off = 0;
      while (feeding) {
        const slice = fixPart.subarray(off, off + 600);
        off = (off + 600) % fixPart.length;
        try {
          await send(current, slice, 600, 0);
        } catch {
          // the cable is unplugged: the receiver's bytes go nowhere
        }
        await sleep(100);
      }
    })();
    const lights = () => health.map((h) => h.light);
    // bounded waits, generous: a loaded CI machine delays the pty and the timers, not the logic
    expect(await until(() => lights().at(-1) === 'green', 15_000)).toBe(true);
    const from = health.length;
    await unplug(cab.proc);
    expect(await until(() => lights().at(-1) === 'red', 12_000)).toBe(true);
    const red = health.at(-1)!;
    expect(red.reason).toMatch(/went away|cannot open|no data/);
    expect(stage.position(Date.now() + 6000)).toMatchObject({ lat: null });
    const before = health.length;
    cab = await cable('replug');
    current = cab.feed;
    // (it failed once under load, cause unknown: the lights since the unplug say where it stuck)
    const sinceUnplug = () => JSON.stringify(health.slice(from).map((h) => `${h.light}: ${h.reason}`));
    expect(
      await until(() => health.slice(before).some((h) => h.light === 'green'), 20_000),
      sinceUnplug(),
    ).toBe(true);
    expect(stage.position(Date.now()).lat).not.toBeNull();
    // the lights as they stand now: stopping the feeder below may take longer than the 1 s
    // no-data timeout on a loaded machine, and the red that follows is not the replug's
    const seq = lights().filter((l, i, a) => i === 0 || a[i - 1] !== l);
    feeding = false;
    await feeder;
    const afterGreen = seq.slice(seq.indexOf('green'));
    expect(afterGreen).toContain('red');
    expect(afterGreen.at(-1)).toBe('green');
  }, 90_000);
});

describe('serial source whose device is missing at start-up', () => {
  it('says at once that the device cannot be opened, not that the receiver has not started', async () => {
    const { stage, health } = startStage(join(tmp, 'no-such-receiver'));
    await stage.start();
    // the light went out amber or red at start; the cause follows as soon as the open fails,
    // not at the next periodic report (30 s)
    expect(await until(() => /cannot open/.test(health.at(-1)?.reason ?? ''), 5_000)).toBe(true);
    expect(health.at(-1)!.light).not.toBe('green');
    await stage.stop();
  });
});

describe.skipIf(!hasSocat)(
  'serial source that gets only line noise (a receiver at another baud rate)',
  () => {
    it('says no valid NMEA sentence comes and names the baud rate; valid sentences put it right', async () => {
      const cab = await cable('noise');
      const { stage, health, fixes } = startStage(cab.dev, { noDataTimeoutS: 1 });
      await stage.start();
      // what a port at the wrong speed reads: bytes that frame no sentence, with line ends among them
      let seed = 7;
      const noise = Buffer.from(
        Array.from({ length: 4000 }, () => {
          seed = (seed * 1103515245 + 12345) >>> 0;
          const b = seed >>> 24;
          return b % 40 === 0 ? 10 : b;
        }),
      );
      let off = 0;
      let bytes: Buffer = noise;
      let feeding = true;
      const feeder = (async () => {
        while (feeding) {
          await send(cab.feed, bytes.subarray(off % bytes.length, (off % bytes.length) + 300), 300, 0);
          off += 300;
          await sleep(100);
        }
      })();
      try {
        expect(await until(() => /no valid NMEA sentence/.test(health.at(-1)?.reason ?? ''), 15_000)).toBe(
          true,
        );
        const red = health.at(-1)!;
        expect(red.light).toBe('red');
        expect(red.reason).toMatch(/\d+ unreadable lines: wrong baud rate, or not an NMEA receiver\?/);
        expect(fixes).toEqual([]);
        // the receiver set to the port's speed: its sentences end the red
        const route = readFileSync(ROUTE, 'latin1');
        bytes = Buffer.from(route.slice(route.lastIndexOf('$', route.indexOf(',A,'))), 'latin1');
        off = 0;
        expect(await until(() => health.at(-1)?.light === 'green', 15_000)).toBe(true);
        expect(fixes.length).toBeGreaterThan(0);
      } finally {
        feeding = false;
        await feeder;
        await stage.stop();
        stages.delete(stage);
      }
    }, 60_000);
  },
);
