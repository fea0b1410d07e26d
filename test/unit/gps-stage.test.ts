import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { gpsSection } from '../../src/config/sections/gps.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Fix, HealthReport } from '../../src/domain/types.ts';
import { GpsStage } from '../../src/gps/index.ts';

const ROUTE = fileURLToPath(new URL('../../fixtures/gps/demo-route.nmea', import.meta.url));
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stage: GpsStage | null = null;
afterEach(async () => {
  await stage?.stop();
  stage = null;
});

function collect(bus: Bus) {
  const fixes: Fix[] = [];
  const health: HealthReport[] = [];
  bus.on('fix', (f) => fixes.push(f));
  bus.on('health', (h) => health.push(h));
  return { fixes, health };
}

function nmea(body: string): string {
  let x = 0;
  for (const ch of body) x ^= ch.charCodeAt(0);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}

/** One epoch (RMC + GGA) stamped 12:00:`s` UTC on 7 Dec 2026. */
function epochAt(s: number): string {
  const hms = `1200${String(s).padStart(2, '0')}.00`;
  return (
    nmea(`GPRMC,${hms},A,3834.5456,N,12128.7310,W,25.0,90.0,071226,,,A`) +
    nmea(`GPGGA,${hms},3834.5456,N,12128.7310,W,1,08,0.9,10.0,M,-20.0,M,,`)
  );
}

describe('GpsStage', () => {
  it('a receiver repeating one fix under a time that stands still: no new fix, the position goes stale, the light says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alpr-gps-frozen-'));
    try {
      const path = join(dir, 'frozen.nmea');
      // four epochs a second apart, then the last one sent again 40 times (its time frozen)
      writeFileSync(path, [1, 2, 3, 4].map(epochAt).join('') + epochAt(4).repeat(40));
      const bus = new Bus();
      const { fixes, health } = collect(bus);
      const config = gpsSection.parse({ type: 'replay', path, speed: 10, loop: false, maxFixAgeS: 0.5 });
      stage = new GpsStage({ bus, log, config, tickMs: 25 });
      await stage.start();
      const t0 = Date.now();
      while (!health.some((h) => /repeats its fix/.test(h.reason)) && Date.now() - t0 < 6000) await sleep(25);
      expect(fixes.map((f) => f.time)).toEqual([1, 2, 3, 4].map((s) => `2026-12-07T12:00:0${s}.000Z`));
      expect(health.at(-1)).toMatchObject({
        component: 'gps',
        light: 'amber',
        reason: expect.stringMatching(
          /^GPS receiver repeats its fix of 12:00:04 UTC: its time has not moved for/,
        ),
      });
      expect(stage.position(Date.now())).toMatchObject({ lat: null, reason: 'stale-fix' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with GPS off: red light, reads say no-gps', async () => {
    const bus = new Bus();
    const { health } = collect(bus);
    stage = new GpsStage({ bus, log, config: gpsSection.parse(undefined) });
    expect(stage.critical).toBe(false);
    await stage.start();
    expect(health.at(-1)).toMatchObject({ component: 'gps', light: 'red' });
    expect(health.at(-1)?.reason).toMatch(/gps.type: none/);
    expect(stage.position(Date.now())).toEqual({ lat: null, lon: null, reason: 'no-gps' });
    expect(stage.clockOffsetMs()).toBeNull();
  });

  it('replays the demo route: amber during the cold start, then green with fixes', async () => {
    const bus = new Bus();
    const { fixes, health } = collect(bus);
    const config = gpsSection.parse({
      type: 'replay',
      path: ROUTE,
      speed: 40,
      loop: false,
      noDataTimeoutS: 1,
    });
    stage = new GpsStage({ bus, log, config, tickMs: 25 });
    await stage.start();
    const t0 = Date.now();
    const noFixYet = stage.position(Date.now());
    while (fixes.length < 10 && Date.now() - t0 < 5000) await sleep(20);
    expect(noFixYet.lat).toBeNull();
    expect(fixes.length).toBeGreaterThanOrEqual(10);
    const lights = health.map((h) => h.light);
    expect(lights).toContain('amber');
    expect(lights.at(-1)).toBe('green');
    expect(lights.indexOf('amber')).toBeLessThan(lights.lastIndexOf('green'));
    const pos = stage.position(Date.now());
    expect(pos.lat).toBeCloseTo(38.5758, 2);
    expect(pos.lat === null ? -1 : pos.fixAgeMs).toBeLessThan(1000);
    // The route is dated 2026-05-14: the offset says how far the system clock is from it (a
    // median of recent fixes; at 40× pace they spread, so it lies within their range).
    const offsets = fixes.map((f) => Date.parse(f.time!) - f.receivedAt);
    const off = stage.clockOffsetMs()!;
    expect(off).toBeGreaterThanOrEqual(Math.min(...offsets));
    expect(off).toBeLessThanOrEqual(Math.max(...offsets));
    expect(stage.status().sentences.badChecksum).toBe(0);
  });

  it('startAtFix: the demo route has a position from its first epoch, and again after each loop', async () => {
    const bus = new Bus();
    const { fixes } = collect(bus);
    // 3 loops of the route in about 2.3 s: each must restart with a fix, never with the cold start
    const config = gpsSection.parse({ type: 'replay', path: ROUTE, speed: 600, startAtFix: true });
    stage = new GpsStage({ bus, log, config, tickMs: 25 });
    await stage.start();
    // the first epoch goes out on the next turn of the event loop
    await sleep(20);
    const first = stage.position(Date.now());
    expect(first.lat).toBeCloseTo(38.5758, 3);
    const noFixSeen: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 2600) {
      const p = stage.position(Date.now());
      if (p.lat === null) noFixSeen.push(Date.now() - t0);
      await sleep(5);
    }
    expect(noFixSeen).toEqual([]);
    // it looped: the first fix's time came round again
    const firstTime = fixes[0]!.time;
    expect(fixes.filter((f) => f.time === firstTime).length).toBeGreaterThanOrEqual(2);
  });

  it('a stale fix is never presented as fresh', async () => {
    const bus = new Bus();
    const { fixes } = collect(bus);
    const config = gpsSection.parse({ type: 'replay', path: ROUTE, speed: 40, loop: false, maxFixAgeS: 1 });
    stage = new GpsStage({ bus, log, config, tickMs: 25 });
    await stage.start();
    const t0 = Date.now();
    while (fixes.length < 1 && Date.now() - t0 < 5000) await sleep(20);
    const last = fixes.at(-1)!;
    expect(stage.position(last.receivedAt + 500).lat).not.toBeNull();
    expect(stage.position(last.receivedAt + 1500)).toMatchObject({ lat: null, reason: 'stale-fix' });
    expect(stage.position(last.receivedAt + 60_000)).toMatchObject({ lat: null, reason: 'no-gps' });
  });

  it('a missing replay file is a red light, not a crash', async () => {
    const bus = new Bus();
    const { health } = collect(bus);
    stage = new GpsStage({
      bus,
      log,
      config: gpsSection.parse({ type: 'replay', path: '/nonexistent/x.nmea' }),
    });
    await stage.start();
    expect(health.at(-1)).toMatchObject({ light: 'red' });
    expect(health.at(-1)?.reason).toMatch(/cannot read NMEA replay/);
  });
});
