/**
 * Cameras that are not there when the daemon starts (an IP camera booting after the car PC, a USB
 * stick of frames mounted late): red with the camera named, retried with backoff, green once
 * frames flow, while the other cameras keep producing frames throughout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStage } from '../../src/capture/index.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, HealthReport } from '../../src/domain/types.ts';

const DEMO = resolve(import.meta.dirname, '../../fixtures/demo/frames');
const log = pino({ level: 'silent' });
const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'alpr-capture-late-'));

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

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

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids of this process's ffmpeg children that decode a camera (raw frames on a pipe). */
function decoders(): string[] {
  return readdirSync('/proc').filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('rawvideo');
    } catch {
      return false;
    }
  });
}

function harness(cameras: unknown[]) {
  const bus = new Bus((_e, err) => {
    throw err;
  });
  const frames: Frame[] = [];
  const health: HealthReport[] = [];
  bus.on('frame', (f) => frames.push(f));
  bus.on('health', (h) => health.push(h));
  const stage = new CaptureStage({
    bus,
    log,
    cameras: cameras.map((c) => cameraSchema.parse({ orientation: 'rear', ...(c as object) })),
  });
  const lights = (id: string) => health.filter((h) => h.component === `camera:${id}`);
  /** Longest silence between two frames of one camera, in ms. */
  const maxGap = (id: string) => {
    const t = frames.filter((f) => f.cameraId === id).map((f) => f.capturedAt);
    return Math.max(...t.slice(1).map((x, i) => x - t[i]!));
  };
  return { stage, frames, health, lights, maxGap };
}

/** The demo frames, replayed by a file camera at 5 fps: the camera that keeps working. */
const steady = { id: 'steady', type: 'file', path: DEMO, fps: 5, loop: true };

describe('a camera that is not there at start-up', () => {
  it('an MJPEG camera whose server comes up after capture started: red named, then green', async () => {
    const port = await freePort();
    const h = harness([
      steady,
      {
        id: 'late',
        type: 'mjpeg',
        url: `http://127.0.0.1:${port}/`,
        width: 320,
        height: 180,
        fps: 5,
        noFrameTimeoutS: 1,
        restartMaxS: 2,
      },
    ]);
    await h.stage.start();
    try {
      await waitFor('late red', () => h.lights('late').at(-1)?.light === 'red', 8000);
      const red = h.lights('late').find((l) => l.light === 'red')!;
      expect(red.reason).toMatch(/^camera late: /);
      expect(h.lights('late').some((l) => l.light === 'green')).toBe(false);
      // the camera boots: ffmpeg's HTTP server starts listening only now
      const server = spawn(
        'ffmpeg',
        [
          ...[
            '-hide_banner',
            '-loglevel',
            'error',
            '-re',
            '-f',
            'lavfi',
            '-i',
            'testsrc=size=640x360:rate=10',
          ],
          ...['-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/`],
        ],
        { stdio: 'ignore' },
      );
      children.push(server);
      const bootedAt = Date.now();
      await waitFor('late green', () => h.lights('late').at(-1)?.light === 'green', 15_000);
      await waitFor('late frames', () => h.frames.filter((f) => f.cameraId === 'late').length >= 3, 5000);
      const late = h.frames.filter((f) => f.cameraId === 'late');
      expect(late[0]!.capturedAt).toBeGreaterThan(bootedAt);
      expect(late.at(-1)!.data.length).toBe(320 * 180 * 3);
      expect(h.lights('late').map((l) => l.light)).toEqual(['amber', 'red', 'green']);
      // the other camera never stopped
      expect(h.lights('steady').map((l) => l.light)).toEqual(['amber', 'green']);
      expect(h.maxGap('steady')).toBeLessThan(1000);
      expect(h.stage.stats().find((s) => s.id === 'late')!.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await h.stage.stop();
    }
    // no decoder outlives the stage (each restart replaced its ffmpeg, stop ended the last one)
    expect(decoders()).toEqual([]);
  });

  it('a camera that fails to start (its folder missing) is tried again and turns green', async () => {
    const folder = join(tmp, 'mounted-late');
    const h = harness([steady, { id: 'stick', type: 'file', path: folder, fps: 5, loop: true }]);
    await h.stage.start();
    try {
      expect(h.lights('stick').at(-1)).toMatchObject({ light: 'red' });
      expect(h.lights('stick').at(-1)!.reason).toMatch(/^camera stick: failed to start: .*not found/);
      await new Promise((r) => setTimeout(r, 1500)); // a retry or two fail
      expect(h.frames.some((f) => f.cameraId === 'stick')).toBe(false);
      cpSync(DEMO, folder, { recursive: true });
      await waitFor('stick green', () => h.lights('stick').at(-1)?.light === 'green', 10_000);
      expect(h.lights('stick').map((l) => l.light)).toEqual(['amber', 'red', 'green']);
      expect(h.stage.stats().find((s) => s.id === 'stick')!.restarts).toBeGreaterThanOrEqual(2);
      expect(h.lights('steady').map((l) => l.light)).toEqual(['amber', 'green']);
      expect(h.maxGap('steady')).toBeLessThan(1000);
    } finally {
      await h.stage.stop();
    }
    // stopped for good: no retry fires after stop
    const n = h.frames.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(h.frames.length).toBe(n);
  });
});
