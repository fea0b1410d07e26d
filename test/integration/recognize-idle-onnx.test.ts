/**
 * escalation: idle with the real models: the screen's read of a frame comes at once, and a frame
 * it is unsure of is read again the thorough way by the spare lane, with CTC evidence and the same
 * plate. escalateBelow is set near 1 so the demo frame (which the screen reads with confidence)
 * counts as unsure.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, FrameResult } from '../../src/domain/types.ts';
import { createRecognizer, decodeImageFile, RecognizeStage } from '../../src/recognize/index.ts';
import { DEMO_FRAMES, DEMO_HOT, DEMO_PLATES } from '../helpers/demo.ts';

describe('recognize stage, escalation idle, real models', () => {
  it('reads the frame by the screen at once, then the thorough way in the spare lane', async () => {
    const hot = DEMO_PLATES.find((p) => p.plate === DEMO_HOT)!;
    const img = await decodeImageFile(join(DEMO_FRAMES, hot.file));
    const recognizer = await createRecognizer(
      recognizeSection.parse({ threads: 1, escalateBelow: 0.9999 }),
      pino({ level: 'silent' }),
    );
    const bus = new Bus();
    const results: FrameResult[] = [];
    bus.on('frameResult', (r) => results.push(r));
    const stage = new RecognizeStage({
      bus,
      log: pino({ level: 'silent' }),
      recognizer,
      minConfidence: 0.2,
      concurrency: 2,
      escalation: 'idle',
    });
    await stage.start();
    const frame: Frame = { cameraId: 'front', orientation: 'front', seq: 1, capturedAt: Date.now(), ...img };
    bus.emit('frame', frame);
    const deadline = Date.now() + 60_000;
    while (results.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await stage.stop();
    expect(results.map((r) => [r.frame.seq, r.thorough ?? false, r.plates[0]?.text])).toEqual([
      [1, false, DEMO_HOT],
      [1, true, DEMO_HOT],
    ]);
    // the thorough read carries the evidence a hit is judged by
    expect(results[1]!.plates[0]!.evidence?.length).toBeGreaterThan(0);
    expect(stage.stats()).toMatchObject({ unsure: 1, thorough: 1, dropped: 0 });
  }, 90_000);
});
