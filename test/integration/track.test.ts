import { basename, resolve } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStage } from '../../src/capture/index.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Stage } from '../../src/core/stage.ts';
import type { Detection, Frame } from '../../src/domain/types.ts';
import { createRecognizer, RecognizeStage } from '../../src/recognize/index.ts';
import { TrackStage } from '../../src/track/index.ts';
import { padBox } from '../../src/track/pure.ts';
import { DEMO, DEMO_PLATES } from '../helpers/demo.ts';

const truth = new Map(DEMO_PLATES.map((e) => [e.file, e.plate]));
const log = pino({ level: 'silent' });
const running: Stage[] = [];

afterAll(async () => {
  for (const s of running.reverse()) await s.stop();
});

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A bus that throws a handler's error, a started track stage on it, and the detections it emits. */
async function startTrack(deps: Omit<ConstructorParameters<typeof TrackStage>[0], 'bus' | 'log'>) {
  const bus = new Bus((_e, err) => {
    throw err;
  });
  const dets: Detection[] = [];
  bus.on('detection', (d) => dets.push(d));
  const track = new TrackStage({ bus, log, ...deps });
  await track.start();
  running.push(track);
  return { bus, dets, track };
}

describe('track stage with synthetic reads', () => {
  it('emits one detection per vehicle with a plate crop and an overview from the best frame', async () => {
    const { bus, dets, track } = await startTrack({ config: { leaveMs: 300 } });
    const t0 = Date.now();
    const box = { x: 600, y: 400, w: 200, h: 80 };
    for (let seq = 0; seq < 4; seq++) {
      const frame: Frame = {
        cameraId: 'rear',
        orientation: 'rear',
        seq,
        capturedAt: t0 + seq * 50,
        width: 1280,
        height: 720,
        data: Buffer.alloc(1280 * 720 * 3, seq * 40),
      };
      bus.emit('frame', frame);
      const conf = seq === 2 ? 0.95 : 0.7;
      const { data: _d, ...meta } = frame;
      bus.emit('frameResult', {
        frame: meta,
        ms: 10,
        plates: [
          {
            box: { ...box, x: box.x + seq * 5 },
            text: seq === 1 ? '7A8C123' : '7ABC123',
            confidence: conf,
            candidates: [{ text: seq === 1 ? '7A8C123' : '7ABC123', confidence: conf }],
            charConfidences: Array(7).fill(conf),
            detScore: 0.9,
          },
        ],
      });
    }
    await waitFor('detection', () => dets.length > 0, 3000);
    await new Promise((r) => setTimeout(r, 400));
    expect(dets).toHaveLength(1);
    const d = dets[0]!;
    expect([d.reading.text, d.frames, d.frame.seq]).toEqual(['7ABC123', 4, 2]);
    const crop = await sharp(d.plateJpeg!).raw().toBuffer({ resolveWithObject: true });
    const want = padBox(d.reading.box, 1280, 720, 0.15, 0.3);
    expect([crop.info.width, crop.info.height]).toEqual([want.w, want.h]);
    // cut from frame 2 (filled with 80), not another frame of the track
    expect(Math.abs(crop.data[0]! - 80)).toBeLessThan(4);
    const ov = await sharp(d.overviewJpeg!).metadata();
    expect([ov.format, ov.width, ov.height]).toEqual(['jpeg', 1280, 720]);
    expect(track.stats()).toMatchObject({ open: 0, emitted: 1, imagesMissing: 0 });
  });
});

describe('track stage with a slow reader', () => {
  it('cuts the images from the frame being read, however many frames came after it', async () => {
    const { bus, dets, track } = await startTrack({ config: { keepFrames: 2 }, isHot: () => true });
    const frame = (cameraId: string, seq: number): Frame => ({
      cameraId,
      orientation: 'rear',
      seq,
      capturedAt: Date.now(),
      width: 320,
      height: 240,
      data: Buffer.alloc(320 * 240 * 3, seq),
    });
    const result = (f: Frame, text: string) => {
      const { data: _d, ...meta } = f;
      const reading = {
        box: { x: 100, y: 100, w: 80, h: 30 },
        text,
        confidence: 0.9,
        candidates: [{ text, confidence: 0.9 }],
        charConfidences: Array(7).fill(0.9),
        detScore: 0.9,
      };
      bus.emit('frameResult', { frame: meta, ms: 700, plates: [reading] });
    };
    // camera a: frame 0 is read (announced), 10 newer frames arrive during its reading
    const a0 = frame('a', 0);
    bus.emit('frame', a0);
    bus.emit('recognizing', a0);
    for (let s = 1; s <= 10; s++) bus.emit('frame', frame('a', s));
    result(a0, '7ABC123');
    // camera b: the same, but its reading was never announced: only the last 2 frames were kept
    const b0 = frame('b', 0);
    bus.emit('frame', b0);
    for (let s = 1; s <= 10; s++) bus.emit('frame', frame('b', s));
    result(b0, '8XYZ999');
    await waitFor('two detections', () => dets.length === 2, 3000);
    const byCam = Object.fromEntries(dets.map((d) => [d.frame.cameraId, d]));
    expect(byCam.a!.overviewJpeg?.length).toBeGreaterThan(100);
    expect(byCam.a!.plateJpeg?.length).toBeGreaterThan(100);
    // the images are of frame 0 (all pixels 0), not of a later frame
    const px = await sharp(byCam.a!.overviewJpeg!).raw().toBuffer();
    expect(Math.max(...px.subarray(0, 3000))).toBeLessThan(4);
    expect(byCam.b!.overviewJpeg).toBeUndefined();
    expect(track.stats().imagesMissing).toBe(1);
    // camera c: a thorough look at its frame 0 starts a second later ('looking'): its thorough
    // read, on a vehicle no live read had, still has the frame's images
    const c0 = frame('c', 0);
    bus.emit('frame', c0);
    for (let s = 1; s <= 10; s++) bus.emit('frame', frame('c', s));
    bus.emit('recognizing', frame('c', 11));
    bus.emit('looking', c0);
    const { data: _d, ...meta } = c0;
    const reading = {
      box: { x: 100, y: 100, w: 80, h: 30 },
      text: '5HGT372',
      confidence: 0.9,
      candidates: [{ text: '5HGT372', confidence: 0.9 }],
      charConfidences: Array(7).fill(0.9),
      detScore: 0.9,
    };
    bus.emit('frameResult', { frame: meta, ms: 900, plates: [reading], thorough: true });
    await waitFor('the third detection', () => dets.length === 3, 3000);
    const c = dets.find((d) => d.frame.cameraId === 'c')!;
    const cpx = await sharp(c.overviewJpeg!).raw().toBuffer();
    expect(Math.max(...cpx.subarray(0, 3000))).toBeLessThan(4);
    expect(track.stats().imagesMissing).toBe(1);
  });
});

describe('track stage with a thorough look that comes late', () => {
  it("takes the photo, time and box of the vehicle's best kept frame when the looked-at frame is gone", async () => {
    const { bus, dets, track } = await startTrack({ config: { keepFrames: 2, leaveMs: 300 } });
    const t0 = Date.now();
    const frame = (seq: number): Frame => ({
      cameraId: 'a',
      orientation: 'rear',
      seq,
      capturedAt: t0 + seq * 66,
      width: 320,
      height: 240,
      data: Buffer.alloc(320 * 240 * 3, seq * 40),
    });
    const result = (f: Frame, text: string, confidence: number, thorough = false) => {
      const { data: _d, ...meta } = f;
      const reading = {
        box: { x: 100 + f.seq, y: 100, w: 80, h: 30 },
        text,
        confidence,
        candidates: [{ text, confidence }],
        charConfidences: Array(text.length).fill(confidence),
        detScore: 0.9,
      };
      bus.emit('frameResult', { frame: meta, ms: 30, plates: [reading], ...(thorough ? { thorough } : {}) });
    };
    // live reads: frame 1 unsure (it goes to the thorough look), the others sure; the track keeps
    // the 3 best-read frames (0, 2, 3), the stage the last 2 frames
    const frames = [0, 1, 2, 3, 4].map(frame);
    const conf = [0.9, 0.3, 0.85, 0.8, 0.75];
    for (const f of frames) {
      bus.emit('frame', f);
      bus.emit('recognizing', f);
      result(f, f.seq === 1 ? '7A8C12' : '7ABC123', conf[f.seq]!);
    }
    for (let s = 5; s < 10; s++) bus.emit('frame', frame(s));
    // the thorough read of frame 1, a second later: it decides the text, its frame is gone
    result(frames[1]!, '7ABC123', 0.95, true);
    await waitFor('detection', () => dets.length === 1, 3000);
    const d = dets[0]!;
    expect([d.reading.text, d.frame.seq, d.frame.capturedAt, d.reading.box.x]).toEqual([
      '7ABC123',
      0,
      t0,
      100,
    ]);
    // the images are of frame 0 (all pixels 0)
    const px = await sharp(d.overviewJpeg!).raw().toBuffer();
    expect(Math.max(...px.subarray(0, 3000))).toBeLessThan(4);
    expect(d.plateJpeg?.length).toBeGreaterThan(100);
    expect(track.stats().imagesMissing).toBe(0);
  });
});

describe('track stage with a hot-list port', () => {
  it('a hot read is emitted at once, not when the vehicle leaves, and only once', async () => {
    const bus = new Bus((_e, err) => {
      throw err;
    });
    const dets: { at: number; text: string }[] = [];
    bus.on('detection', (d) => dets.push({ at: Date.now(), text: d.reading.text }));
    const track = new TrackStage({
      bus,
      log,
      config: { leaveMs: 2000, images: false },
      isHot: (r) => r.text === '4RDW219',
    });
    await track.start();
    running.push(track);
    const t0 = Date.now();
    for (let seq = 0; seq < 3; seq++) {
      for (const text of ['4RDW219', '7ABC123']) {
        const x = text === '4RDW219' ? 100 : 800;
        bus.emit('frameResult', {
          frame: {
            cameraId: 'front',
            orientation: 'front',
            seq,
            capturedAt: t0 + seq * 100,
            width: 1280,
            height: 720,
          },
          ms: 10,
          plates: [
            {
              box: { x, y: 400, w: 200, h: 80 },
              text,
              confidence: 0.9,
              candidates: [{ text, confidence: 0.9 }],
              charConfidences: Array(7).fill(0.9),
              detScore: 0.9,
            },
          ],
        });
      }
    }
    expect(dets).toEqual([{ at: expect.any(Number), text: '4RDW219' }]);
    expect(dets[0]!.at - t0).toBeLessThan(500);
    await waitFor('the other car leaves', () => dets.length === 2, 5000);
    expect(dets[1]!.text).toBe('7ABC123');
    expect(dets[1]!.at - t0).toBeGreaterThanOrEqual(2000);
    await new Promise((r) => setTimeout(r, 500));
    expect(dets).toHaveLength(2);
  });
});

describe('capture → recognize → track on the demo frames (real onnxruntime)', () => {
  it('gives one detection per car, each with the plate of its own frame', async () => {
    const bus = new Bus((_e, err) => {
      throw err;
    });
    const dets: Detection[] = [];
    bus.on('detection', (d) => dets.push(d));
    const recognizer = await createRecognizer(recognizeSection.parse({}), log);
    const recognize = new RecognizeStage({ bus, log, recognizer, minConfidence: 0.5 });
    const track = new TrackStage({ bus, log, config: { leaveMs: 800 } });
    const capture = new CaptureStage({
      bus,
      log,
      cameras: [
        cameraSchema.parse({
          id: 'demo',
          type: 'file',
          orientation: 'rear',
          path: resolve(DEMO, 'frames'),
          fps: 2,
          loop: false,
        }),
      ],
    });
    for (const s of [recognize, track, capture]) {
      await s.start();
      running.push(s);
    }
    await waitFor(
      'all frames read or dropped',
      () => {
        const s = recognize.stats();
        return s.processed + s.dropped + s.errors >= 12;
      },
      60_000,
    );
    await waitFor('tracks settled', () => track.stats().open === 0, 5000);
    await new Promise((r) => setTimeout(r, 300));
    if (process.env.ALPR_TEST_VERBOSE) console.log(recognize.stats(), track.stats());
    const got = dets.map((d) => [basename(d.frame.source ?? ''), d.reading.text]);
    // Under CPU contention the recognizer drops frames: what is read must be right, and most is read.
    expect(got.length).toBeGreaterThanOrEqual(6);
    for (const [file, text] of got) expect(text).toBe(truth.get(file!));
    expect(new Set(got.map((g) => g[0])).size).toBe(got.length);
    for (const d of dets) expect(d.plateJpeg?.length).toBeGreaterThan(500);
  });
});
