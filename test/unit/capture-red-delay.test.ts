import { describe, expect, it } from 'vitest';
import { noFrameTimeoutMs } from '../../src/capture/create.ts';
import { CameraHealth, HEALTH_TICK_MS } from '../../src/capture/pure.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';

/**
 * When the camera light turns red after the last frame, in logical time: the stage checks each
 * camera every HEALTH_TICK_MS from its start, and the camera stops at any moment between two checks.
 */
function redAfterLastFrame(timeoutMs: number, lastFrameAt: number): number {
  const h = new CameraHealth('c1', timeoutMs, 0);
  h.frame(lastFrameAt);
  for (let t = HEALTH_TICK_MS; t < lastFrameAt + 60_000; t += HEALTH_TICK_MS) {
    if (t <= lastFrameAt) continue;
    if (h.tick(t)?.light === 'red') return t - lastFrameAt;
  }
  throw new Error('never red');
}

describe('camera light: red within 3 s of the last frame with the default config', () => {
  it.each([5, 10, 15, 30])('a %d fps stream camera', (fps) => {
    const cfg = cameraSchema.parse({
      id: 'c1',
      type: 'rtsp',
      url: 'rtsp://cam.local/s',
      orientation: 'front',
      fps,
    });
    const timeout = noFrameTimeoutMs(cfg);
    // The last frame lands anywhere within a check interval.
    const delays = [1, 125, 250, 499].map((phase) => redAfterLastFrame(timeout, 10_000 + phase));
    expect(Math.max(...delays)).toBeLessThanOrEqual(3000);
    // And never before the timeout: a camera between two frames is not red.
    expect(Math.min(...delays)).toBeGreaterThan(timeout);
  });
});
