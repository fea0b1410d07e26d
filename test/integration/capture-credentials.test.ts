/**
 * Cameras that want a password: MJPEG over HTTP behind Basic auth (a small node server in front of
 * ffmpeg's mpjpeg muxer) and H.264 RTSP behind RTSP auth (GStreamer's RTSP server). The password
 * comes from the credentials folder, reaches ffmpeg through its stdin, and shows neither in
 * /proc/<ffmpeg pid>/cmdline (world-readable) nor in logs or health reasons.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStage } from '../../src/capture/index.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, HealthReport } from '../../src/domain/types.ts';
import { startAuthMjpeg } from '../support/mjpeg-auth-server.ts';

/** Special characters on purpose: they must survive URL encoding and the ffconcat script's quoting. */
const PASSWORD = "s3cr3t@Zq:7/x'y";
/** What must never show: the password, raw or URL-encoded. */
const LEAKS = ['s3cr3t', 'Zq%3A7', 'Zq:7'];
const tmp = mkdtempSync(join(tmpdir(), 'alpr-capture-creds-'));
const creds = join(tmp, 'credentials');
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of cleanups) await c();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Command lines of this process's ffmpeg children that decode a camera (raw frames on a pipe). */
function decoderCmdlines(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid || !stat.includes('(ffmpeg)')) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes('rawvideo')) out.push(cmdline);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** A capture stage logging at debug level into a string, with its cameras' secrets in `creds`. */
function harness(cameras: unknown[]) {
  let logs = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const bus = new Bus();
  const frames: Frame[] = [];
  const health: HealthReport[] = [];
  bus.on('frame', (f) => frames.push(f));
  bus.on('health', (h) => health.push(h));
  const stage = new CaptureStage({
    bus,
    log: pino({ level: 'debug' }, sink),
    cameras: cameras.map((c) => cameraSchema.parse({ orientation: 'front', ...(c as object) })),
    credentialsDir: creds,
  });
  cleanups.push(() => stage.stop());
  const light = (id: string) => health.filter((h) => h.component === `camera:${id}`).at(-1);
  const count = (id: string) => frames.filter((f) => f.cameraId === id).length;
  return { stage, frames, health, light, count, logs: () => logs };
}

function expectNoLeak(where: string, text: string): void {
  for (const s of LEAKS) expect(text.includes(s), `${where} holds "${s}"`).toBe(false);
}

mkdirSync(creds, { mode: 0o700 });
writeFileSync(join(creds, 'cam-right'), `viewer:${PASSWORD}\n`, { mode: 0o600 });
writeFileSync(join(creds, 'cam-wrong'), 'viewer:not-it\n', { mode: 0o600 });

describe('MJPEG camera behind HTTP Basic auth', () => {
  it('reads the stream with the secret file; the password is not on any command line or in logs', async () => {
    const server = await startAuthMjpeg({ user: 'viewer', password: PASSWORD, size: '320x240', fps: 10 });
    cleanups.push(() => server.close());
    const url = `http://127.0.0.1:${server.port}/video.mjpg`;
    const cam = { type: 'mjpeg', url, width: 160, height: 120, fps: 5, noFrameTimeoutS: 2, restartMaxS: 2 };
    const h = harness([
      { ...cam, id: 'right', credentials: 'cam-right' },
      { ...cam, id: 'wrong', credentials: 'cam-wrong' },
      { ...cam, id: 'late', credentials: 'cam-late' },
    ]);
    await h.stage.start();
    // the secret of `late` is not provisioned yet: red, named, and tried again
    expect(h.light('late')?.light).toBe('red');
    expect(h.light('late')?.reason).toMatch(/^camera late: failed to start: cannot read secret "cam-late"/);
    await waitFor('frames from the right password', () => h.count('right') >= 5, 15_000);
    expect(h.light('right')?.light).toBe('green');
    expect(h.frames.find((f) => f.cameraId === 'right')!.data.length).toBe(160 * 120 * 3);
    // the server did ask for the password (401), and then let ffmpeg in
    expect(server.statuses).toContain(401);
    expect(server.statuses).toContain(200);
    const cmdlines = decoderCmdlines();
    expect(cmdlines.length).toBeGreaterThanOrEqual(1); // camera `right`, streaming
    for (const c of cmdlines) {
      expectNoLeak('ffmpeg command line', c);
      expect(c).not.toContain(`127.0.0.1:${server.port}`);
    }
    writeFileSync(join(creds, 'cam-late'), `viewer:${PASSWORD}\n`, { mode: 0o600 });
    await waitFor('late green once its secret is there', () => h.light('late')?.light === 'green', 15_000);
    await waitFor('wrong password red', () => h.light('wrong')?.light === 'red', 10_000);
    expect(h.count('wrong')).toBe(0);
    // a technician reads why: the server refused the password
    expect(h.light('wrong')?.reason).toMatch(
      /^camera wrong: no frame for \d+ s \(last error: ffmpeg exited \(code \d+\): Server returned 401 Unauthorized/,
    );
    await h.stage.stop();
    expect(h.logs()).toContain('401');
    expectNoLeak('logs', h.logs());
    expectNoLeak('health reports', JSON.stringify(h.health));
    expectNoLeak('frame sources', JSON.stringify(h.frames.map((f) => f.source)));
  });

  it('alpr camera test opens the camera with its secret: fps, a snapshot, no password printed', async () => {
    const server = await startAuthMjpeg({ user: 'viewer', password: PASSWORD, size: '320x240', fps: 10 });
    cleanups.push(() => server.close());
    const cfgFile = join(tmp, 'unit.yaml');
    const snap = join(tmp, 'ipcam.jpg');
    writeFileSync(
      cfgFile,
      [
        'version: 1',
        'unit: { id: t1, agency: t }',
        `paths: { credentialsDir: ${JSON.stringify(creds)} }`,
        'cameras:',
        `  - { id: ipcam, type: mjpeg, orientation: front, url: "http://127.0.0.1:${server.port}/v.mjpg", credentials: cam-right, width: 320, height: 240, fps: 5 }`,
        '',
      ].join('\n'),
    );
    const cli = resolve(import.meta.dirname, '../../src/cli.ts');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', cli, 'camera', 'test', '-c', cfgFile, 'ipcam', '-s', '4', '-o', snap],
      { encoding: 'utf8' },
    );
    expect(stdout).toMatch(/4 s\s+frames\s+\d+\s+fps\s+[3-6]\.\d\s+320x240/);
    expect(stdout).toContain(`snapshot saved to ${snap}`);
    expectNoLeak('camera test output', stdout + stderr);
    const meta = await sharp(snap).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 240]);
  });
});

const PY = '/usr/bin/python3';
const RTSP_SERVER = resolve(import.meta.dirname, '../support/rtsp-server.py');
const probe = spawnSync(PY, [
  '-c',
  [
    'import gi, sys',
    "gi.require_version('Gst', '1.0')",
    "gi.require_version('GstRtspServer', '1.0')",
    'from gi.repository import Gst, GstRtspServer',
    'Gst.init(None)',
    "sys.exit(0 if Gst.ElementFactory.find('x264enc') and Gst.ElementFactory.find('rtph264pay') else 1)",
  ].join('\n'),
]);
const noGst =
  probe.status === 0
    ? null
    : 'needs Debian packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly';
if (noGst) console.log(`RTSP credentials test skipped: ${noGst}`);

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

describe.skipIf(noGst !== null)('RTSP camera behind RTSP auth (GStreamer RTSP server)', () => {
  it('reads the stream with the secret file; a wrong password is red; nothing leaks', async () => {
    const port = await freePort();
    const server = spawn(PY, [RTSP_SERVER, String(port), '320x240', '10'], {
      env: { ...process.env, RTSP_AUTH: `viewer:${PASSWORD}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(server);
    await new Promise<void>((res, rej) => {
      server.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
      server.once('exit', (code) => rej(new Error(`rtsp server exited ${code}`)));
    });
    const url = `rtsp://127.0.0.1:${port}/cam`;
    const cam = { type: 'rtsp', url, width: 160, height: 120, fps: 5, noFrameTimeoutS: 3, restartMaxS: 2 };
    const h = harness([
      { ...cam, id: 'right', credentials: 'cam-right' },
      { ...cam, id: 'wrong', credentials: 'cam-wrong' },
    ]);
    await h.stage.start();
    await waitFor('frames from the right password', () => h.count('right') >= 5, 20_000);
    expect(h.light('right')?.light).toBe('green');
    expect(new Set(h.frames.at(-1)!.data).size).toBeGreaterThan(10);
    for (const c of decoderCmdlines()) expectNoLeak('ffmpeg command line', c);
    await waitFor('wrong password red', () => h.light('wrong')?.light === 'red', 10_000);
    expect(h.count('wrong')).toBe(0);
    await h.stage.stop();
    expect(h.logs()).toMatch(/401|Unauthorized/);
    expectNoLeak('logs', h.logs());
    expectNoLeak('health reports', JSON.stringify(h.health));
  });
});
