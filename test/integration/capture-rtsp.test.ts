/** An H.264 RTSP camera (GStreamer's RTSP server on loopback) read end to end, killed and brought back. */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { freePort, rtspServerMissing, startRtspServer } from '../support/camera-servers.ts';
import { cameraConfig, captureHarness, waitFor } from '../support/capture-harness.ts';

const missing = rtspServerMissing();
if (missing) console.log(`RTSP capture test skipped: ${missing}`);

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

const serve = (port: number) => startRtspServer(port, { size: '640x360', fps: 10, children });

describe.skipIf(missing !== null)('rtsp camera (GStreamer RTSP server, H.264)', () => {
  it('reads the stream end to end; server killed → red; server back → green', async () => {
    const port = await freePort();
    let server = await serve(port);
    const { stage, frames, health } = captureHarness({
      bus: new Bus(),
      cameras: [
        cameraConfig(
          {
            id: 'ipcam',
            type: 'rtsp',
            url: `rtsp://127.0.0.1:${port}/cam`,
            width: 320,
            height: 180,
            fps: 5,
            noFrameTimeoutS: 1,
          },
          'front',
        ),
      ],
    });
    const light = () => health.at(-1)?.light;
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
