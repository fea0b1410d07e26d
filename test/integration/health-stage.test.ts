import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerStatusCommand, statusUrl } from '../../src/commands/status.ts';
import { healthSection } from '../../src/config/sections/health.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import { type HealthBody, HealthStage } from '../../src/health/index.ts';
import { LedWriter } from '../../src/health/leds.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-health-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ledDir = join(tmp, 'leds');
const LEDS = ['cam-g', 'cam-r', 'sys-g', 'sys-a', 'sys-r', 'gps-bi'];
for (const led of LEDS) {
  mkdirSync(join(ledDir, led), { recursive: true });
  writeFileSync(join(ledDir, led, 'brightness'), '0');
  writeFileSync(join(ledDir, led, 'max_brightness'), led === 'gps-bi' ? '1' : '255');
}
const led = (name: string) => readFileSync(join(ledDir, name, 'brightness'), 'utf8');
const thermal = join(tmp, 'temp');

/** Runs `alpr status` in-process; returns exit code and output. */
async function status(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  const before = process.exitCode;
  try {
    const program = new Command('alpr').exitOverride();
    registerStatusCommand(program);
    await program.parseAsync(['node', 'alpr', 'status', '--no-color', ...args]);
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    process.exitCode = before;
    o.mockRestore();
    e.mockRestore();
  }
}

describe('health stage: lights from reports and system checks, endpoint, LEDs, alpr status', () => {
  const bus = new Bus();
  let offset: number | null = 12_000;
  writeFileSync(thermal, '91000\n');
  const stage = new HealthStage({
    bus,
    log: createLogger({ level: 'silent' }),
    config: healthSection.parse({
      http: { port: 0 },
      temperature: { path: thermal },
      leds: {
        dir: ledDir,
        cameras: { green: 'cam-g', red: 'cam-r' },
        system: { green: 'sys-g', amber: 'sys-a', red: 'sys-r' },
        gps: { amber: 'gps-bi', red: 'gps-bi' },
      },
    }),
    expected: { server: true, gps: true, cameras: true },
    dataDir: tmp,
    required: ['storage', 'model'],
    clockOffsetMs: () => offset,
    versions: () => ({ software: '9.9.9', model: 'test-model' }),
    cameras: () => [
      { id: 'front', fpsIn: 15, fpsProcessed: 2.74 },
      { id: 'rear', fpsIn: 0, fpsProcessed: 0 },
    ],
  });
  afterAll(() => stage.stop());
  let url = '';

  it('starts amber ("checking") on the endpoint and the LEDs', async () => {
    await stage.start();
    url = `http://127.0.0.1:${stage.port}/health`;
    await stage.flush();
    const body = (await (await fetch(url)).json()) as HealthBody;
    expect(body.phase).toBe('starting');
    expect(body.status).toBe('amber');
    for (const n of ['cameras', 'server', 'gps', 'system'] as const)
      expect(body.lights[n].light).toBe('amber');
    expect(body.lights.system.reasons[0]).toBe('starting: checking');
    expect(body.versions).toEqual({ software: '9.9.9', model: 'test-model' });
    expect(led('sys-a')).toBe('255');
    expect(led('gps-bi')).toBe('1');
    expect(led('cam-g')).toBe('0');
    const s = await status(['--url', `http://127.0.0.1:${stage.port}`]);
    expect(s.code).toBe(1);
    expect(s.out).toContain('(starting up: checking)');
  });

  it('settles: system red with human reasons (hot CPU, clock off GPS, model not reported)', async () => {
    for (const component of ['camera:front', 'camera:rear', 'gps', 'server', 'storage']) {
      bus.emit('health', { component, light: 'green', reason: 'ok', at: Date.now() });
    }
    stage.settle();
    await stage.flush();
    const l = stage.snapshot();
    expect(l.cameras).toEqual({ light: 'green', reasons: ['ok'] });
    expect(l.system.light).toBe('red');
    expect(l.system.reasons).toEqual([
      'clock: clock 12 s behind GPS time',
      'temperature: CPU too hot: 91 °C',
      'model: not reported yet',
    ]);
    expect([led('sys-r'), led('sys-a'), led('sys-g'), led('cam-g'), led('gps-bi')]).toEqual([
      '255',
      '0',
      '0',
      '255',
      '0',
    ]);
  });

  it('goes green when the checks pass and the model reports warm; alpr status exits 0', async () => {
    writeFileSync(thermal, '48000\n');
    offset = -300;
    await stage.runChecks();
    bus.emit('health', { component: 'model', light: 'green', reason: 'warm', at: Date.now() });
    await stage.flush();
    expect(stage.snapshot().system).toEqual({ light: 'green', reasons: ['ok'] });
    expect(led('sys-g')).toBe('255');
    expect(led('sys-r')).toBe('0');
    const s = await status(['--url', url]);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^ALPR unit: GREEN\n {2}cameras {2}● GREEN {2}ok\n/);
    expect(s.out).toContain('versions: software 9.9.9, model test-model');
    // per camera: frames delivered and frames recognition read (the rest dropped, newest kept)
    expect(s.out).toContain('cameras: front 15.0 fps in, 2.7 read · rear 0.0 fps in, 0.0 read\n');
    const body = (await (await fetch(url)).json()) as HealthBody;
    expect(body.components.map((c: { component: string }) => c.component)).toContain('disk');
  });

  it('a dead camera turns the cameras light red with its reason; status exits 1', async () => {
    bus.emit('health', { component: 'camera:rear', light: 'red', reason: 'no frames for 12 s', at: 1 });
    await stage.flush();
    expect(led('cam-r')).toBe('255');
    expect(led('cam-g')).toBe('0');
    const s = await status(['--url', url]);
    expect(s.code).toBe(1);
    expect(s.out).toContain('cameras  ● RED    camera:rear: no frames for 12 s');
    const json = await status(['--url', url, '--json']);
    expect(JSON.parse(json.out).lights.cameras.light).toBe('red');
  });

  it('serves only /health, only under its own names', async () => {
    expect((await fetch(`http://127.0.0.1:${stage.port}/`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    // a page elsewhere that points its own name at the unit (DNS rebinding) reads nothing
    const asHost = (host: string) =>
      new Promise<{ status: number; corp: unknown }>((resolve, reject) => {
        const req = request(url, { headers: { host } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, corp: res.headers['cross-origin-resource-policy'] });
        });
        req.on('error', reject);
        req.end();
      });
    expect((await asHost(`evil.example:${stage.port}`)).status).toBe(421);
    expect(await asHost(`localhost:${stage.port}`)).toEqual({ status: 200, corp: 'same-origin' });
  });

  it('after stop: LEDs dark, status exits 2 with plain words', async () => {
    await stage.stop();
    for (const n of LEDS) expect(led(n)).toBe('0');
    const s = await status(['--url', url]);
    expect(s.code).toBe(2);
    expect(s.out).toBe('');
    expect(s.err).toMatch(/the daemon is not running or not reachable at http:\/\/127\.0\.0\.1:\d+\/health/);
  });
});

describe('health stage without thermal file or data dir', () => {
  it('reports no temperature and no disk, only the clock', async () => {
    const bus = new Bus();
    const seen: string[] = [];
    bus.on('health', (r) => seen.push(r.component));
    const stage = new HealthStage({
      bus,
      log: createLogger({ level: 'silent' }),
      config: healthSection.parse({ http: { enabled: false }, temperature: { path: join(tmp, 'absent') } }),
    });
    await stage.start();
    await stage.stop();
    expect(seen).toEqual(['clock']);
    expect(stage.port).toBeNull();
  });
});

describe('health stage: a stage that stops reporting', () => {
  it('turns its light red after its silence limit, and back when it reports again', async () => {
    let t = Date.UTC(2026, 3, 1, 12);
    const bus = new Bus();
    const stage = new HealthStage({
      bus,
      log: createLogger({ level: 'silent' }),
      config: healthSection.parse({ http: { enabled: false }, temperature: { path: join(tmp, 'absent') } }),
      staleAfterMs: { gps: 90_000 },
      now: () => t,
    });
    await stage.start();
    stage.settle();
    bus.emit('health', { component: 'gps', light: 'green', reason: '3D fix', at: t });
    expect(stage.snapshot().gps).toEqual({ light: 'green', reasons: ['ok'] });
    t += 60_000;
    await stage.runChecks();
    expect(stage.snapshot().gps.light).toBe('green');
    t += 40_000;
    await stage.runChecks();
    expect(stage.snapshot().gps).toEqual({
      light: 'red',
      reasons: ['gps: no report for 100 s (stage not responding)'],
    });
    bus.emit('health', { component: 'gps', light: 'green', reason: '3D fix', at: t });
    expect(stage.snapshot().gps.light).toBe('green');
    await stage.stop();
  });
});

describe('health stage: endpoint port taken', () => {
  it('keeps running and says so on the system light', async () => {
    const first = new HealthStage({
      bus: new Bus(),
      log: createLogger({ level: 'silent' }),
      config: healthSection.parse({ http: { port: 0 }, temperature: { path: join(tmp, 'absent') } }),
    });
    await first.start();
    const bus = new Bus();
    const second = new HealthStage({
      bus,
      log: createLogger({ level: 'silent' }),
      config: healthSection.parse({
        http: { port: first.port! },
        temperature: { path: join(tmp, 'absent') },
      }),
    });
    await second.start();
    second.settle();
    expect(second.port).toBeNull();
    expect(second.snapshot().system).toEqual({
      light: 'amber',
      reasons: [`endpoint: status endpoint 127.0.0.1:${first.port} unavailable (EADDRINUSE)`],
    });
    await second.stop();
    await first.stop();
  });
});

describe('LEDs that are not there', () => {
  it('are reported, never thrown', async () => {
    const errors: string[] = [];
    const w = new LedWriter(join(tmp, 'no-leds'), { gps: { green: 'gps-g' } }, (led) => errors.push(led));
    const s = { light: 'green' as const, reasons: ['ok'] };
    await w.show({ cameras: s, server: s, gps: s, system: s });
    await w.off();
    expect(errors).toEqual(['gps-g', 'gps-g']);
  });
});

describe('alpr status: which endpoint', () => {
  it('takes --url (a base URL gets /health), else the config, else the default', () => {
    expect(statusUrl({ url: 'http://127.0.0.1:9000' })).toBe('http://127.0.0.1:9000/health');
    expect(statusUrl({ url: 'http://127.0.0.1:9000/health' })).toBe('http://127.0.0.1:9000/health');
    const cfg = join(tmp, 'status.yaml');
    writeFileSync(
      cfg,
      'version: 1\nunit: { id: u1, agency: a1 }\ncameras: []\nhealth: { http: { host: "::1", port: 9123 } }\n',
    );
    // The config schema may not carry `health:` yet; either way the answer is a loopback URL.
    expect(statusUrl({ config: cfg })).toMatch(/^http:\/\/(\[::1\]:9123|127\.0\.0\.1:8720)\/health$/);
    expect(statusUrl({ config: join(tmp, 'absent.yaml') })).toBe('http://127.0.0.1:8720/health');
  });
});
