/**
 * Hardware tier: a real camera. Runs only when ALPR_TEST_CAMERA names one, e.g.
 *   ALPR_TEST_CAMERA=/dev/video0 npx vitest run test/integration/capture-hardware.test.ts
 *   ALPR_TEST_CAMERA=rtsp://user:pw@10.0.0.5/stream1 …     (rtsp://, http:// for MJPEG, /dev/videoN)
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CaptureStage } from '../../src/capture/index.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Frame } from '../../src/domain/types.ts';

const target = process.env.ALPR_TEST_CAMERA;
if (!target)
  console.log(
    'capture hardware test skipped: set ALPR_TEST_CAMERA=/dev/videoN, rtsp://… or http://… (MJPEG)',
  );

describe.skipIf(!target)('real camera (ALPR_TEST_CAMERA)', () => {
  it('delivers 1280x720 RGB frames near the asked rate', async () => {
    const url = target!;
    const type = url.startsWith('rtsp:') ? 'rtsp' : url.startsWith('http') ? 'mjpeg' : 'v4l2';
    const bus = new Bus();
    const frames: Frame[] = [];
    bus.on('frame', (f) => frames.push(f));
    const stage = new CaptureStage({
      bus,
      log: pino({ level: 'silent' }),
      cameras: [
        cameraSchema.parse({ id: 'hw', type, orientation: 'front', url, fps: 10, width: 1280, height: 720 }),
      ],
    });
    await stage.start();
    try {
      await new Promise((r) => setTimeout(r, 8000));
      const s = stage.stats()[0]!;
      expect(s.light).toBe('green');
      expect(s.fpsIn).toBeGreaterThan(5);
      expect(frames.at(-1)?.data.length).toBe(1280 * 720 * 3);
    } finally {
      await stage.stop();
    }
  });
});
