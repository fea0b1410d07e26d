/**
 * The sentence that crash-looped units in the field, sent by a "receiver" on a socat pty into the
 * real serialport source: the stage keeps decoding the fixes that follow, counts the refusal, and
 * no throw reaches the port's data handler (vitest fails the run on any uncaught exception).
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
import { GpsStage } from '../../src/gps/index.ts';
import { hasSocat } from '../helpers/tools.ts';

const ROUTE = fileURLToPath(new URL('../../fixtures/gps/demo-route.nmea', import.meta.url));
const DEADLY_ZDA = '$GPZDA,120000.00,01,01,3000000,00,00*56';
if (!hasSocat) console.warn('gps-hostile-input: skipped, socat is not installed (apt-get install socat)');

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(join(tmpdir(), 'alpr-gps-hostile-'));
let socat: ChildProcess | null = null;
let stage: GpsStage | null = null;

afterAll(async () => {
  await stage?.stop();
  socat?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(20);
  return cond();
}

describe.skipIf(!hasSocat)('GPS receiver sending a ZDA with a 7-digit year', () => {
  it('the stage survives it on a real serial port and goes on producing fixes', async () => {
    const dev = join(tmp, 'dev');
    const feed = join(tmp, 'feed');
    socat = spawn('socat', [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${feed}`], {
      stdio: 'ignore',
    });
    expect(await until(() => existsSync(dev) && existsSync(feed), 3000)).toBe(true);
    const route = readFileSync(ROUTE, 'latin1');
    // From the first valid RMC on: every epoch of this part is a fix.
    const lines = route
      .slice(route.lastIndexOf('$', route.indexOf(',A,')))
      .split(/\r?\n/)
      .filter((l) => l.startsWith('$'));
    const bus = new Bus();
    const fixes: Fix[] = [];
    const health: HealthReport[] = [];
    bus.on('fix', (f) => fixes.push(f));
    bus.on('health', (h) => health.push(h));
    const config = gpsSection.parse({ type: 'serial', path: dev, baud: 9600, reconnectMaxS: 1 });
    stage = new GpsStage({ bus, log, config, tickMs: 50 });
    await stage.start();
    // The port opens asynchronously (on the thread pool) and flushes what the pty holds: bytes
    // written before that are lost. The light says when it is open.
    expect(await until(() => health.some((h) => h.reason.includes(`${dev} open`)), 5000)).toBe(true);
    const fh = await open(feed, 'w');
    try {
      // The deadly sentence first, then again inside the stream, as a receiver repeating it would.
      const stream = [DEADLY_ZDA, ...lines.slice(0, 40), DEADLY_ZDA, ...lines.slice(40, 80)];
      for (const l of stream) {
        await fh.write(`${l}\r\n`);
        await sleep(2);
      }
      const afterZda = fixes.length;
      await until(() => fixes.length > afterZda || fixes.length >= 10, 2000);
      // More of the route after the second one: fixes keep coming.
      const seen = fixes.length;
      for (const l of lines.slice(80, 120)) await fh.write(`${l}\r\n`);
      expect(await until(() => fixes.length > seen, 3000)).toBe(true);
    } finally {
      await fh.close();
    }
    expect(fixes.length).toBeGreaterThanOrEqual(10);
    expect(fixes.every((f) => f.time === null || Number.isFinite(Date.parse(f.time)))).toBe(true);
    expect(stage.rejects.total).toBe(2);
    expect(stage.status().sentences.rejected).toBe(2);
    expect(health.at(-1)?.light).not.toBe('red');
  });
});
