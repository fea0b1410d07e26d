import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaptureStage } from '../../src/capture/index.ts';
import type { CameraConfig } from '../../src/config/schema.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { freePort, mjpegCamera, serveMjpeg } from '../support/camera-servers.ts';
import { captureLog } from '../helpers/sync-fixtures.ts';
import { cameraConfig as cam, captureHarness, waitFor } from '../support/capture-harness.ts';

const DEMO = resolve(import.meta.dirname, '../../fixtures/demo/frames');
const children: ChildProcess[] = [];
const stages: CaptureStage[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'alpr-capture-'));

afterAll(async () => {
  for (const s of stages) await s.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function harness(cameras: CameraConfig[], deps: { bus?: Bus; credentialsDir?: string } = {}) {
  const h = captureHarness({ cameras, ...deps });
  stages.push(h.stage);
  return h;
}

function lastLight(health: HealthReport[], component: string) {
  return health.filter((h) => h.component === component).at(-1);
}

describe('file camera', () => {
  it('replays the demo frames in name order; a camera that cannot start is red, the other runs', async () => {
    const { stage, frames, health } = harness([
      cam({ id: 'demo', type: 'file', path: DEMO, fps: 20, loop: false }),
      cam({ id: 'gone', type: 'file', path: join(tmp, 'missing') }),
    ]);
    await stage.start();
    expect(lastLight(health, 'camera:gone')?.light).toBe('red');
    expect(lastLight(health, 'camera:gone')?.reason).toContain('failed to start');
    await waitFor(
      'replay end',
      () => lastLight(health, 'camera:demo')?.reason.includes('finished') === true,
      10_000,
    );
    expect(frames.map((f) => f.seq)).toEqual([...Array(12).keys()]);
    const names = frames.map((f) => f.source?.split('/').pop());
    expect(names).toEqual([...names].sort());
    for (const f of frames) {
      expect([f.cameraId, f.orientation, f.width, f.height, f.data.length]).toEqual([
        'demo',
        'rear',
        1280,
        720,
        1280 * 720 * 3,
      ]);
    }
    const lights = health.filter((h) => h.component === 'camera:demo').map((h) => h.light);
    expect(lights).toEqual(['amber', 'green', 'amber']);
    const st = stage.stats().find((s) => s.id === 'demo')!;
    expect(st.framesIn).toBe(12);
    expect(st.fpsIn).toBeGreaterThan(5);
    await stage.stop();
  });

  it('a folder that disappears mid-run turns the light red and logs one counted line, not one per frame', async () => {
    const dir = join(tmp, 'vanishing');
    mkdirSync(dir);
    for (let i = 0; i < 3; i++)
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
        .jpeg()
        .toFile(join(dir, `f${i}.jpg`));
    const cap = captureLog('info');
    const h = captureHarness({
      cameras: [cam({ id: 'van', type: 'file', path: dir, fps: 20 })],
      log: cap.log,
    });
    stages.push(h.stage);
    await h.stage.start();
    await waitFor('frames', () => h.count('van') >= 3, 10_000);
    rmSync(dir, { recursive: true, force: true });
    await waitFor('red light', () => h.light('van')?.light === 'red', 10_000);
    // at 20 fps the source has failed many frames by now; the log says so once, with the reason
    await new Promise((r) => setTimeout(r, 1000));
    const errors = cap.lines().filter((l) => l['msg'] === 'camera error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ cameraId: 'van', rejected: 1 });
    // the first failure names the file: gone, or cut short while it was being removed
    expect(String(errors[0]!['reason'])).toMatch(/ENOENT|no such file|missing|cannot decode/i);
    await h.stage.stop();
  });

  it('blacks out the masks and everything outside the region of interest', async () => {
    const { stage, frames } = harness([
      cam({
        id: 'masked',
        type: 'file',
        path: DEMO,
        fps: 20,
        loop: false,
        roi: { x: 200, y: 100, w: 800, h: 500 },
        masks: [{ x: 300, y: 150, w: 20, h: 10 }],
      }),
    ]);
    await stage.start();
    await waitFor('a frame', () => frames.length > 0, 5000);
    await stage.stop();
    const f = frames[0]!;
    const px = (x: number, y: number) => f.data.readUIntBE((y * f.width + x) * 3, 3);
    expect([px(10, 10), px(199, 300), px(1000, 300), px(600, 600), px(305, 155)]).toEqual([0, 0, 0, 0, 0]);
    // inside the ROI and outside the mask the scene is untouched (the sky is not black)
    expect(px(600, 120)).not.toBe(0);
    expect(px(330, 150)).not.toBe(0);
  });

  it('replays a video file through ffmpeg at the configured fps', async () => {
    const video = join(tmp, 'clip.mkv');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=20:duration=2',
      '-c:v',
      'mjpeg',
      video,
    ]);
    const { stage, frames, health } = harness([
      cam({ id: 'vid', type: 'file', path: video, fps: 5, loop: false }),
    ]);
    await stage.start();
    await waitFor(
      'video end',
      () => lastLight(health, 'camera:vid')?.reason.includes('finished') === true,
      10_000,
    );
    // 2 s of video at 5 fps, decimated from 20 fps: about 10 frames, never all 40
    expect(frames.length).toBeGreaterThanOrEqual(8);
    expect(frames.length).toBeLessThanOrEqual(12);
    expect([frames[0]!.width, frames[0]!.height, frames[0]!.data.length]).toEqual([320, 240, 320 * 240 * 3]);
    await stage.stop();
  });
});

describe('mjpeg camera over HTTP (ffmpeg -listen 1)', () => {
  function serve(port: number): ChildProcess {
    const c = serveMjpeg(port);
    children.push(c);
    return c;
  }

  it('takes the camera password from a secret file, never from the YAML', async () => {
    const bad = cameraSchema.safeParse({
      id: 'x',
      orientation: 'rear',
      type: 'rtsp',
      url: 'rtsp://admin:pw@10.0.0.5/s1',
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('must not hold a password');
    const port = await freePort();
    serve(port);
    const creds = join(tmp, 'creds');
    mkdirSync(creds);
    writeFileSync(join(creds, 'cam-a'), 'viewer:s3cret\n');
    const cfg = (id: string, credentials: string) =>
      cam({
        id,
        type: 'mjpeg',
        url: `http://127.0.0.1:${port}/`,
        width: 160,
        height: 120,
        fps: 5,
        credentials,
      });
    const { stage, health } = harness([cfg('a', 'cam-a'), cfg('b', 'cam-missing')], {
      bus: new Bus(),
      credentialsDir: creds,
    });
    await stage.start();
    expect(lastLight(health, 'camera:b')?.light).toBe('red');
    expect(lastLight(health, 'camera:b')?.reason).toContain('cannot read secret "cam-missing"');
    await waitFor('camera a green', () => lastLight(health, 'camera:a')?.light === 'green', 15_000);
    expect(JSON.stringify(health)).not.toContain('s3cret');
    await stage.stop();
  });

  it('reads the stream end to end; stream killed → red; stream back → green', async () => {
    const port = await freePort();
    let server = serve(port);
    const { stage, frames, health } = harness([cam(mjpegCamera('ipcam', port))]);
    await stage.start();
    await waitFor('first frames', () => frames.length >= 5, 15_000);
    expect(lastLight(health, 'camera:ipcam')?.light).toBe('green');
    const f = frames.at(-1)!;
    expect([f.width, f.height, f.data.length]).toEqual([320, 180, 320 * 180 * 3]);
    // testsrc is colourful: the frame is not blank
    expect(new Set(f.data.subarray(0, 30_000)).size).toBeGreaterThan(20);
    const fps = stage.stats()[0]!.fpsIn;
    expect(fps).toBeGreaterThan(3);
    expect(fps).toBeLessThan(7);

    server.kill('SIGKILL');
    await waitFor('red', () => lastLight(health, 'camera:ipcam')?.light === 'red', 5000);
    expect(lastLight(health, 'camera:ipcam')?.reason).toContain('camera ipcam: no frame');

    const before = frames.length;
    server = serve(port);
    await waitFor('green again', () => lastLight(health, 'camera:ipcam')?.light === 'green', 20_000);
    expect(frames.length).toBeGreaterThan(before);
    await stage.stop();
  });
});

describe('a real ffmpeg stream that freezes', () => {
  it('is restarted, and the light says it stalled, not that ffmpeg got a SIGKILL', async () => {
    const port = await freePort();
    const server = serveMjpeg(port);
    children.push(server);
    const { stage, frames, health } = harness([cam(mjpegCamera('frozen', port))]);
    await stage.start();
    await waitFor('first frames', () => frames.length >= 5, 15_000);
    // the camera's server freezes with its connection open: ffmpeg waits, no frame comes
    server.kill('SIGSTOP');
    try {
      await waitFor(
        'the stall named',
        () =>
          /stalled: no frame for \d+ s, ffmpeg restarted/.test(
            lastLight(health, 'camera:frozen')?.reason ?? '',
          ),
        20_000,
      );
      expect(lastLight(health, 'camera:frozen')?.light).toBe('red');
      expect(JSON.stringify(health)).not.toContain('SIGKILL');
    } finally {
      server.kill('SIGCONT');
      server.kill('SIGKILL');
      await stage.stop();
    }
  });
});

/** `alpr camera test` on an MJPEG camera at 127.0.0.1:`port` (320×180, 5 fps) for `seconds`. */
function cameraTest(id: string, port: number, seconds: number) {
  const cfgFile = join(tmp, `${id}.yaml`);
  writeFileSync(
    cfgFile,
    `version: 1\nunit: { id: t1, agency: t }\ncameras:\n  - { id: ${id}, type: mjpeg, orientation: rear, url: "http://127.0.0.1:${port}/", width: 320, height: 180, fps: 5 }\n`,
  );
  const cli = resolve(import.meta.dirname, '../../src/cli.ts');
  const args = ['camera', 'test', '-c', cfgFile, id, '-s', String(seconds), '-o', join(tmp, `${id}.jpg`)];
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('a real ffmpeg stream of damaged JPEGs (a failing camera or cable)', () => {
  it("goes amber naming the damage and the decoder's words, while the frames still come", async () => {
    // a clean 10 fps MJPEG clip, then every third JPEG's scan data overwritten in places
    const clip = join(tmp, 'clip.mjpeg');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=10', '-t', '3', '-f', 'mjpeg', clip],
    ]);
    const jpegs = readFileSync(clip).toString('latin1').split('\xff\xd8').slice(1);
    const damaged = jpegs.map((j, i) => {
      if (i % 3 !== 0) return `\xff\xd8${j}`;
      const b = Buffer.from(j, 'latin1');
      for (let k = 0; k < 20; k++) b[700 + ((k * 997) % (b.length - 800))] = (k * 61) % 256;
      return `\xff\xd8${b.toString('latin1')}`;
    });
    const bad = join(tmp, 'damaged.mjpeg');
    writeFileSync(bad, Buffer.from(damaged.join(''), 'latin1'));
    const port = await freePort();
    // served as it is (stream copy): the JPEGs reach the unit's decoder damaged
    const server = serveMjpeg(port, [
      ...['-stream_loop', '-1', '-f', 'mjpeg', '-framerate', '10', '-i', bad, '-c:v', 'copy'],
    ]);
    children.push(server);
    const { stage, frames, health } = harness([cam(mjpegCamera('damaged', port, { noFrameTimeoutS: 3 }))]);
    await stage.start();
    try {
      await waitFor(
        'amber',
        () => lastLight(health, 'camera:damaged')?.light === 'amber' && frames.length > 5,
        20_000,
      );
      const light = lastLight(health, 'camera:damaged')!;
      expect(light.reason).toMatch(
        /^camera damaged: frames arrive damaged: \d+ of the last \d+ frames \(.*error/,
      );
      const n = frames.length;
      await waitFor('more frames', () => frames.length > n + 5, 10_000);
      expect(lastLight(health, 'camera:damaged')?.light).toBe('amber');
    } finally {
      server.kill('SIGKILL');
      await stage.stop();
    }
    // the technician's camera test on the same camera says so too
    const port2 = await freePort();
    const again = serveMjpeg(port2, [
      ...['-stream_loop', '-1', '-f', 'mjpeg', '-framerate', '10', '-i', bad, '-c:v', 'copy'],
    ]);
    children.push(again);
    const { status, stdout: out } = cameraTest('cab', port2, 3);
    again.kill('SIGKILL');
    expect(status).toBe(0);
    expect(out).toMatch(/ s\s+frames\s+\d+\s+fps\s+[\d.]+\s+320x180\s+damaged \d+ \(.*error/);
    expect(out).toMatch(/\d+ frames \(\d+ reported damaged by the decoder\), target 5 fps/);
  });
});

describe('a real ffmpeg stream that repeats one picture (an encoder that froze)', () => {
  it('goes amber once the picture has not changed for 15 s, while frames keep coming', async () => {
    const still = join(tmp, 'still.jpg');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=1', '-frames:v', '1', still],
    ]);
    const port = await freePort();
    // the same JPEG, 10 times a second: frames flow, the picture never changes
    const server = serveMjpeg(port, ['-loop', '1', '-framerate', '10', '-i', still, '-c:v', 'mjpeg']);
    children.push(server);
    const { stage, frames, health } = harness([cam(mjpegCamera('frozen', port, { noFrameTimeoutS: 3 }))]);
    await stage.start();
    try {
      await waitFor('green', () => lastLight(health, 'camera:frozen')?.light === 'green', 15_000);
      const t0 = Date.now();
      await waitFor('amber', () => lastLight(health, 'camera:frozen')?.light === 'amber', 30_000);
      expect(Date.now() - t0).toBeGreaterThan(10_000);
      expect(lastLight(health, 'camera:frozen')!.reason).toBe(
        'camera frozen: the picture has not changed for over 15 s (a frozen camera or encoder?)',
      );
      const n = frames.length;
      await waitFor('frames still flowing', () => frames.length > n + 5, 10_000);
    } finally {
      server.kill('SIGKILL');
      await stage.stop();
    }
  }, 90_000);
});

describe('alpr camera test', () => {
  it('on a camera that does not answer: says so on stdout, its log lines go to stderr, exit 1', async () => {
    const r = cameraTest('dead', await freePort(), 2);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('no frame from camera dead in 2 s');
    expect(r.stdout).not.toContain('"level"');
    expect(r.stderr).toMatch(/"level":"warn".*camera ffmpeg failed; restarting/);
  });

  it('prints fps and saves a snapshot JPEG', async () => {
    const cfgFile = join(tmp, 'cam.yaml');
    const snap = join(tmp, 'snap.jpg');
    writeFileSync(
      cfgFile,
      `version: 1\nunit: { id: t1, agency: t }\ncameras:\n  - { id: demo, type: file, orientation: rear, path: ${JSON.stringify(DEMO)}, fps: 5 }\n`,
    );
    const cli = resolve(import.meta.dirname, '../../src/cli.ts');
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', cli, 'camera', 'test', '-c', cfgFile, 'demo', '-s', '2', '-o', snap],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toMatch(/2 s\s+frames\s+\d+\s+fps\s+[45]\.\d/);
    expect(out).toContain(`snapshot saved to ${snap}`);
    const meta = await sharp(snap).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 1280, 720]);
  });
});
