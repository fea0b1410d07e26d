/**
 * The legend look (escalation: idle): a vehicle farther away, whose plate the screen reads surely
 * but whose legend it cannot make out on the whole frame, gets its plate's window read as a whole
 * plate in spare time, and its detection names the state. The demo frames shrunk to 35% (plates
 * ~95 px wide, as on the benchmark's street frames) go through the real recognize and track
 * stages; the same run without legend looks names no state, so the state comes from the look.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { Bus } from '../../src/core/bus.ts';
import { US_JURISDICTIONS } from '../../src/domain/us-plates.ts';
import type { Detection, RgbImage } from '../../src/domain/types.ts';
import { createRecognizer, RecognizeStage, type Recognizer } from '../../src/recognize/index.ts';
import { TrackStage } from '../../src/track/index.ts';
import { DEMO_FRAMES, DEMO_PLATES } from '../helpers/demo.ts';

const SCALE = 0.35;
const CARS = DEMO_PLATES.filter((p) => ['frame-001.jpg', 'frame-004.jpg', 'frame-007.jpg'].includes(p.file));

/** A demo frame shrunk to SCALE on a grey 1280 × 720 frame: the same car, farther away. */
async function farther(file: string): Promise<RgbImage> {
  const small = await sharp(join(DEMO_FRAMES, file))
    .resize(Math.round(1280 * SCALE))
    .toBuffer();
  const { data, info } = await sharp({
    create: { width: 1280, height: 720, channels: 3, background: '#555' },
  })
    .composite([{ input: small, left: 300, top: 200 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

const codeOf = (name: string) => US_JURISDICTIONS.find((j) => j.words[0] === name)?.code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('legend look, real models', () => {
  let recognizer: Recognizer;
  let frames: RgbImage[];
  beforeAll(async () => {
    recognizer = await createRecognizer(
      recognizeSection.parse({ profile: 'accurate', worker: false, threads: 1 }),
      pino({ level: 'silent' }),
    );
    frames = await Promise.all(CARS.map((c) => farther(c.file)));
  }, 60_000);
  afterAll(async () => {
    await recognizer?.close();
  });

  /** Each car passes on 3 frames 150 ms apart, then leaves; the detections, in order. */
  async function drive(legendLooks: boolean): Promise<Detection[]> {
    const bus = new Bus();
    const log = pino({ level: 'silent' });
    // the stages close their recognizer on stop: this one is shared by both runs
    const shared: Recognizer = Object.assign(Object.create(recognizer) as Recognizer, {
      close: async () => {},
    });
    const recognize = new RecognizeStage({
      bus,
      log,
      recognizer: shared,
      minConfidence: 0.2,
      concurrency: 2,
      escalation: 'idle',
      legendLooks,
    });
    const track = new TrackStage({ bus, log, config: { leaveMs: 800, images: false } });
    const detections: Detection[] = [];
    bus.on('detection', (d) => detections.push(d));
    await recognize.start();
    await track.start();
    let seq = 0;
    for (const img of frames) {
      for (let k = 0; k < 3; k++) {
        bus.emit('frame', {
          cameraId: 'front',
          orientation: 'front',
          seq: seq++,
          capturedAt: Date.now(),
          ...img,
        });
        await sleep(150);
      }
      await sleep(1500);
    }
    await recognize.stop();
    await track.stop();
    return detections;
  }

  it('names the state of each car from its legend look, and none without it', async () => {
    const looked = await drive(true);
    expect(looked.map((d) => [d.reading.text, d.reading.state?.code ?? null])).toEqual(
      CARS.map((c) => [c.plate, codeOf(c.state)]),
    );
    const without = await drive(false);
    expect(without.map((d) => [d.reading.text, d.reading.state?.code ?? null])).toEqual(
      CARS.map((c) => [c.plate, null]),
    );
  }, 60_000);
});
