/**
 * The daemon as the car runs it (`recognize.profile: fast`, two recognizer workers) on two MJPEG
 * cameras over HTTP at 15 fps 1280×720, served by ffmpeg from the project's demo frames: both
 * cameras are read, every demo plate comes through from each, the hot plate raises a hit, and the
 * daemon stops cleanly. (The speed of this setup is measured by `npm run bench -- cameras`.)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, spawnCli } from '../helpers/cli.ts';
import { freePort, serveMjpeg } from '../support/camera-servers.ts';
import { DEMO_HOT, DEMO_PLATES } from '../helpers/demo.ts';

const FRAMES = resolve(ROOT, 'fixtures/demo/frames/frame-%03d.jpg');
const plates = DEMO_PLATES.map((p) => p.plate);
const HOT = DEMO_HOT;

describe('alpr run with two MJPEG cameras, fast profile, two workers', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-cams-'));
  const servers: ChildProcess[] = [];
  let stdout = '';
  let code: number | null = null;
  const readsBy = new Map<string, Set<string>>();
  let statusText = '';
  let statusJson: { cameras?: { id: string; fpsIn: number; fpsProcessed: number }[] } = {};

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    const healthPort = await freePort();
    for (const port of ports) {
      servers.push(serveMjpeg(port, ['-loop', '1', '-framerate', '15', '-i', FRAMES, '-c:v', 'copy']));
    }
    mkdirSync(join(tmp, 'data'));
    mkdirSync(join(tmp, 'creds'));
    writeFileSync(join(tmp, 'creds', 'store.key'), 'cd'.repeat(32));
    const camera = (id: string, port: number, orientation: string) =>
      `  - { id: ${id}, type: mjpeg, orientation: ${orientation}, url: 'http://127.0.0.1:${port}/', width: 1280, height: 720, fps: 15 }`;
    const config = join(tmp, 'config.yaml');
    writeFileSync(
      config,
      `version: 1
unit: { id: cams-0001, agency: e2e-pd, mode: car }
paths: { dataDir: ${join(tmp, 'data')}, credentialsDir: ${join(tmp, 'creds')} }
log: { level: warn }
cameras:
${camera('cam0', ports[0]!, 'front')}
${camera('cam1', ports[1]!, 'rear')}
recognize: { profile: fast, workers: 2 }
gps: { type: replay, path: ${join(ROOT, 'fixtures/gps/demo-route.nmea')}, speed: 4, loop: true }
hotlist: { seedCsv: [{ list: SVS, path: ${join(ROOT, 'fixtures/demo/hotlist.csv')} }] }
track: { leaveMs: 300 }
alerts: { console: true, showReads: true }
health: { http: { port: ${healthPort} } }
web: { port: 0 }
`,
    );
    const child = spawnCli(['run', '--config', config]);
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const m of stdout.matchAll(/^READ {2}(\S+)\s.*?cam (cam\d)/gm)) {
        const set = readsBy.get(m[2]!) ?? new Set<string>();
        set.add(m[1]!);
        readsBy.set(m[2]!, set);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const allRead = () => ['cam0', 'cam1'].every((c) => plates.every((p) => readsBy.get(c)?.has(p)));
    const deadline = Date.now() + 75_000;
    while (Date.now() < deadline && !allRead() && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 250));
    }
    // What a technician sees while it runs: `alpr status` against the running daemon.
    const url = `http://127.0.0.1:${healthPort}/`;
    statusText = runCli(['status', '--url', url, '--no-color']).stdout;
    statusJson = JSON.parse(runCli(['status', '--url', url, '--json']).stdout || '{}');
    child.kill('SIGTERM');
    code = await new Promise((r) =>
      child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c)),
    );
    if (code !== 0) console.error(stderr);
  }, 100_000);

  afterAll(() => {
    for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads every demo plate from each camera', () => {
    for (const cam of ['cam0', 'cam1']) {
      expect([...(readsBy.get(cam) ?? [])].filter((p) => plates.includes(p)).sort()).toEqual(
        [...plates].sort(),
      );
    }
  });

  it('raises a hit for the hot plate, on the display', () => {
    const hitLines = stdout.split('\n').filter((l) => l.startsWith('*** CONFIRMED HIT'));
    expect(hitLines.length).toBeGreaterThanOrEqual(1);
    expect(hitLines.every((l) => l.includes(HOT))).toBe(true);
  });

  it('alpr status shows both cameras delivering and being read', () => {
    expect(statusText).toMatch(
      /cameras: cam0 \d+\.\d fps in, \d+\.\d read · cam1 \d+\.\d fps in, \d+\.\d read/,
    );
    const cams = statusJson.cameras ?? [];
    expect(cams.map((c) => c.id)).toEqual(['cam0', 'cam1']);
    for (const c of cams) {
      expect(c.fpsIn).toBeGreaterThan(5); // 15 offered; a loaded CI machine may decode fewer
      expect(c.fpsProcessed).toBeGreaterThan(0);
      expect(c.fpsProcessed).toBeLessThanOrEqual(c.fpsIn + 0.5);
    }
  });

  it('stops cleanly on SIGTERM', () => {
    expect(code).toBe(0);
  });
});
