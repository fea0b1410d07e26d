import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, FrameResult, PlateReading } from '../../src/domain/types.ts';
import { IdleQueue } from '../../src/recognize/idle-queue.ts';
import type { Recognizer, ScreenResult } from '../../src/recognize/ppocr.ts';
import { RecognizeStage } from '../../src/recognize/stage.ts';
import { Tracker } from '../../src/track/tracker.ts';

const reading = (text: string, confidence: number, h = 20): PlateReading => ({
  box: { x: 100, y: 100, w: 4 * h, h },
  text,
  confidence,
  candidates: [{ text, confidence }],
  charConfidences: [...text].map(() => confidence),
  detScore: 0.9,
});

const frame = (cameraId: string, seq: number, capturedAt = 1000 + seq * 66): Frame => ({
  cameraId,
  orientation: 'front',
  seq,
  capturedAt,
  width: 4,
  height: 4,
  data: Buffer.alloc(48),
});

/** A recognize stage with idle escalation on a scripted recognizer (minConfidence 0.2). */
function idleStage(bus: Bus, rec: Recognizer, concurrency: number, legendLooks?: boolean): RecognizeStage {
  return new RecognizeStage({
    bus,
    log: pino({ level: 'silent' }),
    recognizer: rec,
    minConfidence: 0.2,
    concurrency,
    escalation: 'idle',
    ...(legendLooks === undefined ? {} : { legendLooks }),
  });
}

describe('IdleQueue: which unsure frames get the thorough look', () => {
  it("keeps one frame per camera: the same vehicle's best view, or the newer vehicle", () => {
    const q = new IdleQueue();
    q.offer(frame('a', 1), [reading('BDJ0529', 0.3, 20)]);
    q.offer(frame('a', 2), [reading('BDJ052', 0.3, 30)]); // same car, closer
    q.offer(frame('a', 3), [reading('BDJ0529', 0.3, 25)]); // same car, not better
    expect(q.take(frame('a', 3).capturedAt)?.seq).toBe(2);
    expect(q.take(2000)).toBeUndefined();
  });

  it('looks at a vehicle once: later unsure frames of the same plate are not offered', () => {
    const q = new IdleQueue();
    q.offer(frame('a', 1), [reading('BDJ0529', 0.3)]);
    q.take(1100);
    q.offer(frame('a', 5), [reading('8DJ0529', 0.3)]);
    expect(q.has()).toBe(false);
    expect(q.stats.alreadyLooked).toBe(1);
    // another camera, or another car, is offered
    q.offer(frame('b', 5), [reading('8DJ0529', 0.3)]);
    q.offer(frame('a', 6), [reading('XYZ123', 0.3)]);
    expect(q.has()).toBe(true);
  });

  it('drops a frame too old to join its track, and takes the oldest first', () => {
    const q = new IdleQueue({ maxAgeMs: 500, lookedMs: 10_000, sameText: 0.6 });
    q.offer(frame('a', 1, 1000), [reading('AAA111', 0.3)]);
    q.offer(frame('b', 1, 1400), [reading('BBB222', 0.3)]);
    q.offer(frame('c', 1, 1300), [reading('CCC333', 0.3)]);
    expect(q.take(1600)?.cameraId).toBe('c');
    expect(q.stats.expired).toBe(1);
    expect(q.take(1600)?.cameraId).toBe('b');
  });
});

/** A cascade-like recognizer: the screen is unsure of every frame; thorough reads are gated. */
function scripted() {
  const gates: (() => void)[] = [];
  const calls: string[] = [];
  const rec: Recognizer = {
    modelVersion: 'fake',
    async readFrame() {
      calls.push('inline');
      return [reading('5DJ0529', 0.9)];
    },
    async readCrop() {
      return null;
    },
    async screenFrame(img): Promise<ScreenResult> {
      calls.push(`screen:${(img as Frame).cameraId}`);
      return { plates: [reading('BDJ0529', 0.3)], sure: false };
    },
    async thoroughFrame() {
      calls.push('thorough');
      await new Promise<void>((r) => gates.push(r));
      return [reading('5DJ0529', 0.8)];
    },
    async close() {},
  };
  return { rec, gates, calls };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RecognizeStage with escalation: idle', () => {
  async function run(concurrency: number, cameras: string[]) {
    const bus = new Bus();
    const s = scripted();
    const results: FrameResult[] = [];
    const looking: Frame[] = [];
    bus.on('frameResult', (r) => results.push(r));
    bus.on('looking', (f) => looking.push(f));
    const stage = idleStage(bus, s.rec, concurrency);
    await stage.start();
    for (const [i, c] of cameras.entries()) bus.emit('frame', { ...frame(c, i), capturedAt: Date.now() });
    for (let i = 0; i < 5; i++) await tick();
    return { stage, s, results, looking };
  }

  it('reads live frames by the screen at once, and the unsure one again in a spare lane', async () => {
    const { stage, s, results, looking } = await run(2, ['a']);
    expect(results.map((r) => [r.plates[0]?.text, r.thorough ?? false])).toEqual([['BDJ0529', false]]);
    expect(s.calls).toEqual(['screen:a', 'thorough']);
    // the look's frame is announced, for the track stage to hold its pixels until the read
    expect(looking.map((f) => [f.cameraId, f.seq])).toEqual([['a', 0]]);
    s.gates.shift()!();
    for (let i = 0; i < 5; i++) await tick();
    expect(results.map((r) => [r.plates[0]?.text, r.thorough ?? false])).toEqual([
      ['BDJ0529', false],
      ['5DJ0529', true],
    ]);
    expect(stage.stats()).toMatchObject({ unsure: 1, thorough: 1, dropped: 0 });
    await stage.stop();
  });

  it('never takes a lane the live cameras need: two cameras, two lanes, no thorough look', async () => {
    const { stage, s } = await run(2, ['a', 'b']);
    expect(s.calls.filter((c) => c === 'thorough')).toEqual([]);
    expect(stage.stats().unsure).toBe(2);
    await stage.stop();
  });

  it('with one lane more than cameras, the spare one looks', async () => {
    const { stage, s } = await run(3, ['a', 'b']);
    expect(s.calls.filter((c) => c === 'thorough')).toEqual(['thorough']);
    s.gates.shift()!();
    await stage.stop();
  });
});

describe('Tracker: a thorough look supersedes the screen reads', () => {
  it('votes with the thorough reads only, once there is one', () => {
    const t = new Tracker({
      leaveMs: 2000,
      maxTrackMs: 15_000,
      suppressMs: 0,
      iouMin: 0.2,
      similarityMin: 0.6,
      minFrames: 1,
      topN: 10,
    });
    const meta = (seq: number) => {
      const { data: _d, ...m } = frame('a', seq);
      return m;
    };
    for (let i = 0; i < 6; i++) t.update({ frame: meta(i), plates: [reading('BDJ0529', 0.45)], ms: 1 });
    t.update({ frame: meta(2), plates: [reading('5DJ0529', 0.7)], ms: 1, thorough: true });
    const [s] = t.flush();
    expect(s?.detection.reading.text).toBe('5DJ0529');
  });

  it('without a thorough read, the screen reads vote as before', () => {
    const t = new Tracker();
    const { data: _d, ...m } = frame('a', 1);
    t.update({ frame: m, plates: [reading('BDJ0529', 0.45)], ms: 1 });
    expect(t.flush()[0]?.detection.reading.text).toBe('BDJ0529');
  });
});

describe('TrackStage: faint plates', () => {
  it('a plate below the read threshold becomes a read only when it is hot', async () => {
    const { TrackStage } = await import('../../src/track/index.ts');
    const bus = new Bus();
    const detections: string[] = [];
    bus.on('detection', (d) => detections.push(d.reading.text));
    const track = new TrackStage({
      bus,
      log: pino({ level: 'silent' }),
      config: { images: false },
      isHot: (r) => r.text === 'STOLEN1',
    });
    await track.start();
    const { data: _d, ...meta } = frame('a', 1, Date.now());
    bus.emit('frameResult', {
      frame: meta,
      plates: [],
      faint: [reading('STOLEN1', 0.1), reading('OTHER22', 0.1)],
      ms: 1,
    });
    await track.stop();
    expect(detections).toEqual(['STOLEN1']);
  });
});

describe('RecognizeStage: the hot-list floor', () => {
  it('passes plates between the floor and the read threshold as faint, drops those below', async () => {
    const bus = new Bus();
    const results: FrameResult[] = [];
    bus.on('frameResult', (r) => results.push(r));
    const rec: Recognizer = {
      modelVersion: 'fake',
      readFrame: async () => [reading('AAA111', 0.9), reading('BBB222', 0.1), reading('CCC333', 0.01)],
      readCrop: async () => null,
      close: async () => {},
    };
    const stage = new RecognizeStage({
      bus,
      log: pino({ level: 'silent' }),
      recognizer: rec,
      minConfidence: 0.2,
      hotlistFloor: 0.05,
    });
    await stage.start();
    bus.emit('frame', frame('a', 1));
    for (let i = 0; i < 5; i++) await tick();
    await stage.stop();
    expect(results.map((r) => [r.plates.map((p) => p.text), r.faint?.map((p) => p.text)])).toEqual([
      [['AAA111'], ['BBB222']],
    ]);
  });
});

describe('IdleQueue: the legend look for sure frames without a state', () => {
  it("keeps one per camera, the vehicle's best view, and looks at a vehicle once", () => {
    const q = new IdleQueue();
    q.offerLegend(frame('a', 1), reading('BGB3282', 0.9, 20));
    q.offerLegend(frame('a', 2), reading('BGB3282', 0.9, 30));
    q.offerLegend(frame('a', 3), reading('BGB3282', 0.9, 25));
    expect(q.has()).toBe(true);
    expect(q.takeLegend(frame('a', 3).capturedAt)?.frame.seq).toBe(2);
    expect(q.takeLegend(2000)).toBeUndefined();
    // looked at: later sure frames of the same plate are not offered again
    q.offerLegend(frame('a', 9), reading('BGB3282', 0.9, 40));
    expect(q.has()).toBe(false);
    expect(q.stats).toMatchObject({ legendOffered: 3, legendTaken: 1 });
  });

  it('gives way to a thorough look, and skips a vehicle a thorough look has read since', () => {
    const q = new IdleQueue();
    q.offerLegend(frame('a', 1), reading('BGB3282', 0.9));
    q.offer(frame('b', 2), [reading('XYZ123', 0.3)]);
    expect(q.takeLegend(1200)).toBeUndefined();
    expect(q.take(1200)?.cameraId).toBe('b');
    q.lookedAt('a', 'BGB3282', 1150);
    expect(q.takeLegend(1200)).toBeUndefined();
    expect(q.has()).toBe(false);
    // a vehicle that had a thorough look is never offered
    q.offerLegend(frame('a', 5), reading('8GB3282', 0.9));
    expect(q.has()).toBe(false);
  });
});

describe('RecognizeStage: legend looks (escalation: idle)', () => {
  function sureScreen(state: PlateReading['state']) {
    const crops: { width: number; height: number }[] = [];
    const rec: Recognizer = {
      modelVersion: 'fake',
      async readFrame() {
        return [];
      },
      async readCrop(img) {
        crops.push({ width: img.width, height: img.height });
        return { ...reading('BGB3282', 0.9), state: { code: 'TX', confidence: 0.8 } };
      },
      async screenFrame(): Promise<ScreenResult> {
        const p = { ...reading('BGB3282', 0.9, 20), box: { x: 100, y: 100, w: 80, h: 20 }, state };
        return { plates: [p], sure: true };
      },
      async thoroughFrame() {
        return [];
      },
      async close() {},
    };
    return { rec, crops };
  }

  async function run(state: PlateReading['state'], legendLooks: boolean) {
    const bus = new Bus();
    const s = sureScreen(state);
    const states: unknown[] = [];
    bus.on('plateState', (p) => states.push(p));
    const stage = idleStage(bus, s.rec, 2, legendLooks);
    await stage.start();
    const f = {
      ...frame('a', 1),
      width: 640,
      height: 480,
      data: Buffer.alloc(640 * 480 * 3),
      capturedAt: Date.now(),
    };
    bus.emit('frame', f);
    for (let i = 0; i < 10; i++) await tick();
    await stage.stop();
    return { states, crops: s.crops, stats: stage.stats() };
  }

  it("reads the sure plate's window for its state and tells the track", async () => {
    const { states, crops, stats } = await run(null, true);
    // the window: the plate 15% wider each side and 60% of its height above and below
    expect(crops).toEqual([{ width: 104, height: 44 }]);
    expect(states).toEqual([
      expect.objectContaining({ text: 'BGB3282', state: { code: 'TX', confidence: 0.8 } }),
    ]);
    expect(stats).toMatchObject({ legendLooks: 1, statesNamed: 1 });
  });

  it('no look where the screen named the state, or with legend looks off', async () => {
    for (const [state, on] of [
      [{ code: 'CA', confidence: 0.9 }, true],
      [null, false],
    ] as const) {
      const { states, crops } = await run(state, on);
      expect([states.length, crops.length]).toEqual([0, 0]);
    }
  });
});
