/** An H.264 RTSP camera (GStreamer's RTSP server on loopback) read end to end, killed and brought back. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStage } from '../../src/capture/index.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, HealthReport } from '../../src/domain/types.ts';

const PY = '/usr/bin/python3';
const SERVER = resolve(import.meta.dirname, '../support/rtsp-server.py');
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
const missing =
  probe.status === 0
    ? null
    : 'needs Debian packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly';
if (missing) console.log(`RTSP capture test skipped: ${missing}`);

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
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

async function serve(port: number): Promise<ChildProcess> {
  const c = spawn(PY, [SERVER, String(port), '640x360', '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  await new Promise<void>((res, rej) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
    c.once('exit', (code) => rej(new Error(`rtsp server exited ${code}`)));
  });
  return c;
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing !== null)('rtsp camera (GStreamer RTSP server, H.264)', () => {
  it('reads the stream end to end; server killed → red; server back → green', async () => {
    const port = await freePort();
    let server = await serve(port);
    const bus = new Bus();
    const frames: Frame[] = [];
    const health: HealthReport[] = [];
    bus.on('frame', (f) => frames.push(f));
    bus.on('health', (h) => health.push(h));
    const light = () => health.at(-1)?.light;
    const stage = new CaptureStage({
      bus,
      log: pino({ level: 'silent' }),
      cameras: [
        cameraSchema.parse({
          id: 'ipcam',
          type: 'rtsp',
          orientation: 'front',
          url: `rtsp://127.0.0.1:${port}/cam`,
          width: 320,
          height: 180,
          fps: 5,
          noFrameTimeoutS: 1,
        }),
      ],
    });
    await stage.start();
    try {
      await waitFor('frames', () => frames.length >= 5, 15_000);
      expect(light()).toBe('green');
      expect(frames.at(-1)!.data.length).toBe(320 * 180 * 3);
      expect(new Set(frames.at(-1)!.data).size).toBeGreaterThan(10);
      server.kill('SIGKILL');
      await waitFor('red', () => light() === 'red', 6000);
      expect(health.at(-1)!.reason).toContain('camera ipcam: no frame');
      const before = frames.length;
      server = await serve(port);
      await waitFor('green again', () => light() === 'green', 30_000);
      expect(frames.length).toBeGreaterThan(before);
      expect(stage.stats()[0]!.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await stage.stop();
    }
  });
});
