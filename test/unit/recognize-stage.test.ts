import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, FrameResult, PlateReading, RgbImage } from '../../src/domain/types.ts';
import { RecognizeStage } from '../../src/recognize/stage.ts';
import type { Recognizer } from '../../src/recognize/ppocr.ts';

const reading = (text: string, confidence: number): PlateReading => ({
  box: { x: 0, y: 0, w: 10, h: 5 },
  text,
  confidence,
  candidates: [{ text, confidence }],
  charConfidences: [...text].map(() => confidence),
  detScore: 0.9,
});

/** A recognizer whose readFrame resolves only when the test says so. */
function gatedRecognizer() {
  const gates: (() => void)[] = [];
  const seen: number[] = [];
  let closed = false;
  const rec: Recognizer = {
    modelVersion: 'fake',
    async readFrame(img: RgbImage) {
      seen.push((img as Frame).seq);
      await new Promise<void>((r) => gates.push(r));
      return [reading('ABC123', 0.9), reading('XYZ789', 0.2)];
    },
    async readCrop() {
      return null;
    },
    async close() {
      closed = true;
    },
  };
  return { rec, gates, seen, isClosed: () => closed };
}

const frame = (cameraId: string, seq: number): Frame => ({
  cameraId,
  orientation: 'front',
  seq,
  capturedAt: 1000 + seq,
  width: 4,
  height: 4,
  data: Buffer.alloc(48),
});

const tick = () => new Promise((r) => setImmediate(r));

/** A started stage on a gated recognizer, collecting its frame results. */
async function gatedStage(concurrency?: number) {
  const bus = new Bus();
  const g = gatedRecognizer();
  const results: FrameResult[] = [];
  bus.on('frameResult', (r) => results.push(r));
  const stage = new RecognizeStage({
    bus,
    log: pino({ level: 'silent' }),
    recognizer: g.rec,
    minConfidence: 0.5,
    ...(concurrency ? { concurrency } : {}),
  });
  await stage.start();
  return { bus, g, results, stage };
}

describe('RecognizeStage', () => {
  it('keeps only the newest pending frame per camera and filters by confidence', async () => {
    const { bus, g, results, stage } = await gatedStage();
    bus.emit('frame', frame('front', 1)); // starts at once
    await tick();
    for (let s = 2; s <= 5; s++) bus.emit('frame', frame('front', s)); // 2,3,4 dropped; 5 waits
    bus.emit('frame', frame('rear', 10));
    expect(stage.stats().dropped).toBe(3);
    g.gates.shift()!();
    await tick();
    await tick();
    // front began waiting (#2) before rear did (#10): its turn first, with its newest frame #5
    expect(g.seen).toEqual([1, 5]);
    g.gates.shift()!();
    await tick();
    await tick();
    g.gates.shift()!();
    await tick();
    await tick();
    expect(g.seen).toEqual([1, 5, 10]);
    expect(results.map((r) => r.frame.seq)).toEqual([1, 5, 10]);
    expect(results[0]!.plates.map((p) => p.text)).toEqual(['ABC123']);
    expect('data' in results[0]!.frame).toBe(false);
    expect(stage.stats()).toEqual({
      processed: 3,
      dropped: 3,
      errors: 0,
      unsure: 0,
      thorough: 0,
      legendLooks: 0,
      statesNamed: 0,
    });
    await stage.stop();
    expect(g.isClosed()).toBe(true);
    bus.emit('frame', frame('front', 99));
    expect(g.seen).not.toContain(99);
  });

  it("cameras take turns whatever their frames' capture times (each with its newest frame)", async () => {
    const bus = new Bus();
    const g = gatedRecognizer();
    const stage = new RecognizeStage({
      bus,
      log: pino({ level: 'silent' }),
      recognizer: g.rec,
      minConfidence: 0,
    });
    // each reading is announced (the track stage holds that frame for its images)
    const announced: Frame[] = [];
    bus.on('recognizing', (f) => announced.push(f));
    await stage.start();
    const release = async () => {
      g.gates.shift()!();
      await tick();
      await tick();
    };
    bus.emit('frame', frame('front', 1)); // read at once
    await tick();
    // front's camera is ahead in phase: its pending frames are always captured before rear's
    bus.emit('frame', frame('rear', 10));
    bus.emit('frame', frame('front', 2));
    await release();
    bus.emit('frame', frame('front', 3));
    bus.emit('frame', frame('rear', 11));
    await release();
    bus.emit('frame', frame('front', 4));
    bus.emit('frame', frame('rear', 12));
    await release();
    await release();
    // front, rear, front, rear (#12 replaced #11 while #3 was read); never front #2 first because it
    // was captured before rear #10
    expect(g.seen).toEqual([1, 10, 3, 12, 4]);
    expect(announced.map((f) => f.seq)).toEqual(g.seen);
    expect(announced.every((f) => f.data.length === 48)).toBe(true);
    await release(); // #4, so that stop() finds nothing in flight
    await stage.stop();
  });

  it('counts a failing frame and goes on with the next one', async () => {
    const bus = new Bus();
    let n = 0;
    const rec: Recognizer = {
      modelVersion: 'fake',
      async readFrame() {
        n++;
        if (n === 1) throw new Error('boom');
        return [];
      },
      async readCrop() {
        return null;
      },
      async close() {},
    };
    const results: FrameResult[] = [];
    bus.on('frameResult', (r) => results.push(r));
    const stage = new RecognizeStage({
      bus,
      log: pino({ level: 'silent' }),
      recognizer: rec,
      minConfidence: 0,
    });
    await stage.start();
    bus.emit('frame', frame('front', 1));
    await tick();
    bus.emit('frame', frame('front', 2));
    await tick();
    await tick();
    expect(stage.stats().errors).toBe(1);
    expect(results.map((r) => r.frame.seq)).toEqual([2]);
    await stage.stop();
  });
});

describe('RecognizeStage with concurrency (a pool of workers)', () => {
  it('reads different cameras at the same time, never two frames of one camera, results in order', async () => {
    const { bus, g, results, stage } = await gatedStage(2);
    bus.emit('frame', frame('a', 1));
    bus.emit('frame', frame('a', 2)); // a is being read: waits
    await tick();
    expect(g.seen).toEqual([1]);
    bus.emit('frame', frame('b', 10)); // another camera: read at once on the second lane
    await tick();
    expect(g.seen).toEqual([1, 10]);
    bus.emit('frame', frame('c', 20)); // both lanes busy: waits
    await tick();
    expect(g.seen).toEqual([1, 10]);
    g.gates.shift()!(); // a:1 done → that lane takes the camera waiting longest (a:2, then c)
    await tick();
    await tick();
    expect(g.seen).toEqual([1, 10, 2]);
    g.gates.shift()!(); // b:10 done → c:20
    await tick();
    await tick();
    expect(g.seen).toEqual([1, 10, 2, 20]);
    while (g.gates.length) {
      g.gates.shift()!();
      await tick();
      await tick();
    }
    expect(results.map((r) => `${r.frame.cameraId}:${r.frame.seq}`)).toEqual(['a:1', 'b:10', 'a:2', 'c:20']);
    await stage.stop();
    expect(stage.stats()).toMatchObject({ processed: 4, dropped: 0 });
  });
});

describe('RecognizeStage model light', () => {
  it('turns red after 3 frames fail in a row, and green again when a frame is read', async () => {
    const bus = new Bus();
    const lights: string[] = [];
    bus.on('health', (h) => {
      if (h.component === 'model') lights.push(`${h.light}: ${h.reason}`);
    });
    let failing = true;
    const rec: Recognizer = {
      modelVersion: 'm7',
      readFrame: async () => {
        if (failing) throw new Error('recognizer worker exited (code 1)');
        return [];
      },
      readCrop: async () => null,
      close: async () => {},
    };
    const stage = new RecognizeStage({
      bus,
      log: pino({ level: 'silent' }),
      recognizer: rec,
      minConfidence: 0.5,
    });
    await stage.start();
    for (let seq = 1; seq <= 2; seq++) {
      bus.emit('frame', frame('front', seq));
      await tick();
    }
    expect(lights).toEqual([]); // one or two bad frames are not a failure yet
    for (let seq = 3; seq <= 5; seq++) {
      bus.emit('frame', frame('front', seq));
      await tick();
    }
    expect(lights).toEqual([
      'red: recognition failing: recognizer worker exited (code 1) (3 frames in a row)',
    ]);
    failing = false;
    bus.emit('frame', frame('front', 6));
    await tick();
    bus.emit('frame', frame('front', 7));
    await tick();
    expect(lights.slice(1)).toEqual(['green: warm (m7)']);
    await stage.stop();
  });
});
