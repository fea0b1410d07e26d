/**
 * The garage, end to end: build the bundle (compiled JS from tsconfig.build.json; node_modules
 * linked to this checkout's instead of `npm ci --omit=dev`, which takes minutes: the full build is
 * `npx tsx scripts/build-bundle.ts`), provision it into a temporary root with the real CLI, then
 * from the installed copy (TARGET/opt/alpr/current/bin/alpr, i.e. node on dist/) pass the
 * self-test and run the daemon on the demo fixtures with the store key provisioning made.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../scripts/build-bundle.ts';
import { LAYOUT } from '../../src/provision/plan.ts';
import { DEMO_HOT, DEMO_PLATES } from '../helpers/demo.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const plates = DEMO_PLATES.map((p) => p.plate);
const HOT = DEMO_HOT;

describe('bundle → provision → installed daemon and self-test', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-garage-'));
  const target = join(tmp, 'target');
  const alpr = join(target, LAYOUT.current, 'bin/alpr');
  const config = join(tmp, 'demo.yaml');
  let bundle: Awaited<ReturnType<typeof buildBundle>>;
  let provisionOut: ReturnType<typeof spawnSync>;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    let t = performance.now();
    bundle = await buildBundle({ out: join(tmp, 'out'), quick: true, tar: false });
    timings.buildS = (performance.now() - t) / 1000;
    t = performance.now();
    provisionOut = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test/helpers/provision-cli.ts'),
        'provision',
        '--bundle',
        bundle.dir,
        '--root',
        target,
        '--unit-id',
        'garage-0001',
        '--agency',
        'demo-pd',
        '--cameras',
        'front:/dev/video0',
        '--csr',
        '--no-tpm',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    timings.provisionS = (performance.now() - t) / 1000;
    const data = join(tmp, 'data');
    mkdirSync(data);
    // The demo, with the provisioned credentials (its store key) and the repository's fixtures.
    writeFileSync(
      config,
      `version: 1
unit: { id: garage-0001, agency: demo-pd, mode: car }
paths: { dataDir: ${data}, credentialsDir: ${join(target, LAYOUT.credentials)} }
log: { level: info }
cameras:
  - { id: front, type: file, orientation: front, path: ${join(ROOT, 'fixtures/demo/frames')}, fps: 1, loop: false }
recognize: { type: ppocr, threads: 1 }
gps: { type: replay, path: ${join(ROOT, 'fixtures/gps/demo-route.nmea')}, speed: 4, loop: true }
hotlist: { seedCsv: [{ list: SVS, path: ${join(ROOT, 'fixtures/demo/hotlist.csv')} }] }
track: { leaveMs: 1000 }
sync: { type: none }
alerts: { console: true, showReads: true }
health: { http: { port: 0 } }
web: { port: 0 }
`,
    );
  }, 120_000);

  afterAll(() => {
    console.log(`provision-e2e timings: ${JSON.stringify(timings)}`);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the bundle carries compiled JS, models, units, the default config and a manifest', () => {
    for (const f of [
      'dist/cli.js',
      'dist/recognize/ppocr.js',
      'models/ppocr',
      'systemd/alpr.service',
      'config/default.yaml',
      'bin/alpr',
      'manifest.json',
    ])
      expect(existsSync(join(bundle.dir, f)), f).toBe(true);
    // Run-time files beside the compiled modules (the web UI), when the checkout has them.
    if (existsSync(join(ROOT, 'src/web/public/index.html')))
      expect(existsSync(join(bundle.dir, 'dist/web/public/index.html'))).toBe(true);
    const m = JSON.parse(readFileSync(join(bundle.dir, 'manifest.json'), 'utf8'));
    expect(m.version).toBe(bundle.version);
    expect(m.files['dist/cli.js']).toMatch(/^[0-9a-f]{64}$/);
    expect(m.commit).toMatch(/^[0-9a-f]{40}|unknown/);
  });

  it('provisions: current release, identity, credentials, enabled service', () => {
    expect(provisionOut.status, String(provisionOut.stderr)).toBe(0);
    expect(String(provisionOut.stdout)).toContain(`installed ${bundle.version}`);
    expect(readlinkSync(join(target, LAYOUT.current))).toBe(`releases/${bundle.version}`);
    expect(readFileSync(join(target, LAYOUT.config), 'utf8')).toContain('id: garage-0001');
    expect(readFileSync(join(target, LAYOUT.credentials, 'store.key'))).toHaveLength(32);
    expect(readlinkSync(join(target, LAYOUT.wants))).toBe('/etc/systemd/system/alpr.service');
    // the installed copy names its release (version and commit), not only the package's version
    const v = spawnSync(alpr, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(v.stdout.trim()).toBe(bundle.version);
    expect(bundle.version).toMatch(/\+/);
  });

  it('the installed copy passes its self-test', () => {
    const t = performance.now();
    // A generous model budget: this suite shares two cores with other tests.
    const r = spawnSync(
      alpr,
      ['selftest', '--config', config, '--gps-timeout', '30', '--budget-ms', '10000', '--json'],
      {
        cwd: tmp,
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    timings.selftestS = (performance.now() - t) / 1000;
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: { name: string; result: string }[] };
    expect(report.passed).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['model', 'camera front', 'gps']),
    );
  }, 100_000);

  it('the installed daemon reads every demo plate and raises the hit', async () => {
    const t = performance.now();
    // a technician's drop-in (Environment=ALPR_LOG_LEVEL=debug) wins over the config's info
    const child = spawn(alpr, ['run', '--config', config, '--exit-after', '18'], {
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ALPR_LOG_LEVEL: 'debug' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    timings.runS = (performance.now() - t) / 1000;
    expect(code, stderr).toBe(0);
    const display = stdout.split('\n').filter((l) => !l.startsWith('{'));
    const read = display.filter((l) => l.startsWith('READ')).map((l) => l.split(/\s+/)[1]);
    expect(read.sort()).toEqual([...plates].sort());
    expect(display.filter((l) => l.startsWith('*** CONFIRMED HIT'))).toHaveLength(1);
    expect(display.join('\n')).toContain(HOT);
    expect(existsSync(join(tmp, 'data', 'reads.sqlite'))).toBe(true);
    expect(stdout).toContain('"level":"debug"');
    expect(stdout).toContain('"msg":"stage started"');
  }, 60_000);
});
