/**
 * A unit whose system clock is an hour behind its GPS receiver's time (a dead RTC battery, NTP
 * unreachable): `alpr run` with a serial receiver on a socat pseudo-terminal sending NMEA stamped
 * an hour ahead, the demo frames, a real Mosquitto over TLS and the reference sink. Every read
 * and the hit it raises reach the server marked with the clock's offset (GPS time minus the
 * system clock), so the capture's true time can be told; the officer's console says it beside the
 * hit's time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CentralSink } from '../../src/sync/sink.ts';
import { runDaemon } from '../helpers/cli.ts';
import { DEMO_HOT, DEMO_PLATES, demoUnitOnBroker } from '../helpers/demo.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { hasSocat } from '../helpers/tools.ts';

if (!hasMosquitto)
  console.warn('daemon-clock-mark: skipped, mosquitto not installed (apt-get install mosquitto)');
if (!hasSocat) console.warn('daemon-clock-mark: skipped, socat not installed (apt-get install socat)');

const UNIT = 'clock-0001';
const AHEAD_MS = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function nmea(body: string): string {
  let x = 0;
  for (const ch of body) x ^= ch.charCodeAt(0);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}

/** One epoch of a receiver standing in Sacramento, stamped `t` (epoch ms). */
function epoch(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  const hms = `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.00`;
  const dmy = `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${p(d.getUTCFullYear() % 100)}`;
  return (
    nmea(`GPRMC,${hms},A,3834.5456,N,12128.7310,W,0.000,,${dmy},,,A`) +
    nmea(`GPGGA,${hms},3834.5456,N,12128.7310,W,1,08,0.9,10.0,M,-20.0,M,,`)
  );
}

describe.skipIf(!hasMosquitto || !hasSocat)('alpr run with a system clock an hour behind GPS time', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-clock-'));
  const dev = join(tmp, 'gps-dev');
  const feed = join(tmp, 'gps-feed');
  let broker: Broker;
  let sink: CentralSink;
  let socat: ChildProcess | null = null;
  let code: number | null = null;
  /** The daemon; killed after the tests whatever happened (a timed-out hook leaves it running). */
  let daemon: ReturnType<typeof runDaemon> | null = null;
  const stdout = () => daemon?.out.stdout ?? '';
  let delivered = false;

  beforeAll(async () => {
    socat = spawn('socat', [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${feed}`], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 300 && !(existsSync(dev) && existsSync(feed)); i++) await sleep(10);
    broker = await startMosquitto({
      tls: true,
      acl: `user central-sink\ntopic readwrite alpr/#\n\npattern readwrite alpr/clock-pd/%u/#\n`,
    });
    ({ sink } = await demoUnitOnBroker({
      tmp,
      broker,
      unit: UNIT,
      agency: 'clock-pd',
      serverCn: 'central-sink',
      edit: (yaml) =>
        yaml.replace(/^gps: .*$/m, `gps: { type: serial, path: ${dev}, baud: 9600, maxFixAgeS: 5 }`),
    }));
    // the receiver: an epoch a second, an hour ahead of this clock, from before the daemon starts
    let feeding = true;
    const fh = await open(feed, 'r+');
    const feeder = (async () => {
      while (feeding) {
        await fh.write(epoch(Date.now() + AHEAD_MS)).catch(() => {});
        await sleep(1000);
      }
    })();
    const run = runDaemon(join(tmp, 'config.yaml'));
    daemon = run;
    const end = Date.now() + 90_000;
    while (Date.now() < end && !delivered) {
      await sleep(250);
      const c = sink.counts().byType;
      delivered = c.read === DEMO_PLATES.length && c.hit === 1;
    }
    code = await run.stop();
    feeding = false;
    await feeder;
    await fh.close();
    if (code !== 0) console.error(run.out.stderr);
  }, 150_000);

  afterAll(async () => {
    daemon?.kill();
    socat?.kill('SIGKILL');
    await sink?.stop();
    await destroyMosquitto(broker);
    rmSync(tmp, { recursive: true, force: true });
  });

  const records = (type: string) => {
    const db = new Database(join(tmp, 'sink.sqlite'), { readonly: true });
    try {
      return (
        db.prepare('SELECT payload FROM records WHERE type = ?').all(type) as { payload: string }[]
      ).map((r) => JSON.parse(r.payload) as Record<string, Record<string, unknown>>);
    } finally {
      db.close();
    }
  };

  it('delivers every read and the hit', () => {
    expect(delivered).toBe(true);
    expect(code).toBe(0);
  });

  it("marks reads captured once the receiver's time was known with the offset, an hour within a second or two", () => {
    const reads = records('read').map((m) => m.read!);
    const marked = reads.filter((r) => r.clockOffsetMs !== undefined);
    // the first frames may come before the first timed fix: those carry no mark, never a wrong one
    expect(marked.length).toBeGreaterThanOrEqual(DEMO_PLATES.length - 3);
    for (const r of marked) expect(Math.abs((r.clockOffsetMs as number) - AHEAD_MS)).toBeLessThan(2500);
    // and their positions are the receiver's (the offset does not move a read off its fix)
    expect(marked.every((r) => (r.position as { lat: number | null }).lat !== null)).toBe(true);
  });

  it('marks the hit too, and the console gives its time by GPS', () => {
    const [hit] = records('hit').map((m) => m.hit!);
    expect(hit?.plate).toBe(DEMO_HOT);
    expect(Math.abs((hit?.clockOffsetMs as number) - AHEAD_MS)).toBeLessThan(2500);
    const line = stdout()
      .split('\n')
      .find((l) => l.trimStart().startsWith('cam ') && stdout().includes('CONFIRMED HIT'));
    expect(line).toMatch(/\[unit clock 3(599|60\d) s behind GPS: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ by GPS\]/);
  });

  it('shows the clock light red with the offset', () => {
    const clock = stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'health changed' && l.component === 'clock');
    expect(
      clock.some((l) => l.light === 'red' && /clock 3(599|60\d) s behind GPS time/.test(String(l.reason))),
    ).toBe(true);
  });
});
