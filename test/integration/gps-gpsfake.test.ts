/**
 * The gpsd source against a real gpsd: real captures written into a socat pty compared with gpsd's
 * .chk oracle, the project's demo route compared with our own decoder, and a gpsd (run by gpsfake,
 * gpsd's own test harness) that goes away and comes back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { gpsSection } from '../../src/config/sections/gps.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Fix, HealthReport } from '../../src/domain/types.ts';
import { decodeNmeaLog } from '../../src/gps/decoder.ts';
import { GpsdSource } from '../../src/gps/gpsd-source.ts';
import { GpsStage } from '../../src/gps/index.ts';
import type { GpsSource } from '../../src/gps/source.ts';
import { startGpsdPty } from '../helpers/gpsd-pty.ts';
import { compareWithOracle, oracleTpvs } from './gps-oracle.ts';
import { hasTool } from '../helpers/tools.ts';

const DIR = fileURLToPath(new URL('../../../shared/data/nmea', import.meta.url));
const ROUTE = fileURLToPath(new URL('../../fixtures/gps/demo-route.nmea', import.meta.url));
const LOGS = [
  'neo-m8n.log',
  'gp-320fw-2019-04-07-coldboot.log',
  'haicom-305N.log',
  'sirfstarv-nmea.log',
  'foretrex-201.log',
];
const have = existsSync(DIR);
const hasGpsfake = hasTool('gpsfake', ['--help']);
if (!hasGpsfake)
  console.warn('gps-gpsfake: skipped, gpsfake is not installed (apt-get install gpsd gpsd-clients)');
if (!have) console.warn(`gps-gpsfake: captures skipped, ${DIR} is absent`);

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fakes = new Set<ChildProcess>();
const stages = new Set<GpsStage>();

afterAll(async () => {
  for (const s of stages) await s.stop();
  for (const p of [...fakes]) await stopFake(p);
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** gpsfake in its own process group, so that stopping it stops its gpsd too. */
function startFake(file: string, port: number, cycle: string): ChildProcess {
  const args = ['-n', '-q', '-c', cycle, '-P', String(port)];
  const p = spawn('gpsfake', [...args, file], { stdio: 'ignore', detached: true });
  fakes.add(p);
  p.on('exit', () => fakes.delete(p));
  return p;
}

async function stopFake(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const gone = new Promise((r) => p.once('exit', r));
  process.kill(-p.pid, 'SIGINT');
  const t = setTimeout(() => p.pid !== undefined && process.kill(-p.pid, 'SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

async function listening(port: number, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`gpsd never listened on ${port}`);
}

function gpsdStage(port: number, extra: Record<string, unknown> = {}) {
  const bus = new Bus();
  const fixes: Fix[] = [];
  const health: HealthReport[] = [];
  bus.on('fix', (f) => fixes.push(f));
  bus.on('health', (h) => health.push(h));
  const config = gpsSection.parse({ type: 'gpsd', host: '127.0.0.1', port, reconnectMaxS: 1, ...extra });
  // The real gpsd source, retrying fast; `linked` resolves when its connection is first up.
  const inner = new GpsdSource({ host: '127.0.0.1', port, reconnectMaxS: 0.05, log });
  let up: () => void = () => {};
  const linked = new Promise<void>((r) => {
    up = r;
  });
  const source: GpsSource = {
    description: inner.description,
    start: (sink) =>
      inner.start({
        ...sink,
        link: (isUp, reason) => {
          sink.link(isUp, reason);
          if (isUp) up();
        },
      }),
    stop: () => inner.stop(),
  };
  const stage = new GpsStage({ bus, log, config, source, tickMs: 50 });
  stages.add(stage);
  return { stage, fixes, health, linked };
}

/** Resolves once gpsd answers a WATCH on a fresh connection: it has served every earlier one. */
async function watchAnswered(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write('?WATCH={"enable":true,"json":true};'));
    s.on('data', (t: string) => {
      buf += t;
      if (buf.includes('"class":"WATCH"')) {
        s.destroy();
        resolve();
      }
    });
    s.on('error', reject);
  });
}

/**
 * Runs one log through a real gpsd (on a socat pty) into a gpsd stage; returns the fixes it got.
 * The log is written only once the stage's connection is up and gpsd has answered a later WATCH,
 * so no sentence goes out before the stage is listening.
 */
async function throughGpsd(file: string, cycleMs = 10): Promise<Fix[]> {
  const port = await freePort();
  const gpsd = await startGpsdPty(port);
  try {
    await listening(port);
    const { stage, fixes, linked } = gpsdStage(port);
    await stage.start();
    await linked;
    await watchAnswered(port);
    await gpsd.feed(readFileSync(file), cycleMs);
    // gpsd reports an epoch once the next one starts or its cycle times out: let it finish.
    let n = -1;
    while (n !== fixes.length) {
      n = fixes.length;
      await sleep(800);
    }
    await stage.stop();
    stages.delete(stage);
    return fixes;
  } finally {
    await gpsd.stop();
  }
}

/** gpsd sends several TPVs per epoch as sentences arrive; its last one is its final word. */
function lastPerEpoch(fixes: Fix[]): Fix[] {
  const byTime = new Map<string | null, Fix>();
  const untimed: Fix[] = [];
  for (const f of fixes) {
    if (f.time === null) untimed.push(f);
    else {
      byTime.delete(f.time);
      byTime.set(f.time, f);
    }
  }
  return [...untimed, ...byTime.values()];
}

describe.skipIf(!hasGpsfake || !have)('gpsd source via gpsfake: real captures', () => {
  it('matches the .chk oracle', async () => {
    const results = await Promise.all(LOGS.map((name) => throughGpsd(join(DIR, name))));
    let matched = 0;
    LOGS.forEach((name, i) => {
      const c = compareWithOracle(
        lastPerEpoch(results[i]!),
        oracleTpvs(readFileSync(join(DIR, `${name}.chk`), 'utf8')),
      );
      expect({ name, problems: c.problems }).toEqual({ name, problems: [] });
      matched += c.matched;
    });
    expect(matched).toBeGreaterThanOrEqual(150);
  });
});

describe.skipIf(!hasGpsfake)('gpsd source via gpsfake: demo route and reconnect', () => {
  it('gpsd decodes the demo route exactly as our own NMEA path does', async () => {
    const ours = decodeNmeaLog(readFileSync(ROUTE)).fixes;
    const theirs = lastPerEpoch(await throughGpsd(ROUTE, 4));
    expect(ours.length).toBeGreaterThan(200);
    expect(theirs.map((f) => f.time)).toEqual(ours.map((f) => f.time));
    theirs.forEach((f, i) => {
      expect(Math.abs(f.lat - ours[i]!.lat)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(f.lon - ours[i]!.lon)).toBeLessThanOrEqual(1e-6);
    });
  });

  it('goes red when gpsd goes away and green when it is back', async () => {
    const port = await freePort();
    let fake = startFake(ROUTE, port, '0.005');
    await listening(port);
    const { stage, health } = gpsdStage(port, { noDataTimeoutS: 1 });
    await stage.start();
    const last = () => health.at(-1)?.light;
    const until = async (cond: () => boolean, ms: number) => {
      const t0 = Date.now();
      while (!cond() && Date.now() - t0 < ms) await sleep(20);
      return cond();
    };
    expect(await until(() => last() === 'green', 10_000)).toBe(true);
    await stopFake(fake);
    expect(await until(() => last() === 'red', 5000)).toBe(true);
    expect(health.at(-1)?.reason).toMatch(/gpsd|no data/);
    fake = startFake(ROUTE, port, '0.005');
    expect(await until(() => last() === 'green', 10_000)).toBe(true);
    expect(stage.position(Date.now()).lat).not.toBeNull();
    await stopFake(fake);
  });
});
