import { describe, expect, it } from 'vitest';
import {
  consensus,
  editDistance,
  iou,
  type Observation,
  padBox,
  textSimilarity,
} from '../../src/track/pure.ts';
import { TRACKER_DEFAULTS, Tracker } from '../../src/track/tracker.ts';
import type { Box, FrameMeta, FrameResult, PlateReading } from '../../src/domain/types.ts';

function meta(cameraId: string, seq: number, at: number): FrameMeta {
  return { cameraId, orientation: 'rear', seq, capturedAt: at, width: 1280, height: 720 };
}

function reading(
  text: string,
  confidence: number,
  box: Box = { x: 500, y: 500, w: 200, h: 60 },
  alts: [string, number][] = [],
): PlateReading {
  return {
    box,
    text,
    confidence,
    candidates: [{ text, confidence }, ...alts.map(([t, c]) => ({ text: t, confidence: c }))],
    charConfidences: Array.from(text, () => confidence),
    detScore: 0.9,
  };
}

function result(cameraId: string, seq: number, at: number, plates: PlateReading[]): FrameResult {
  return { frame: meta(cameraId, seq, at), plates, ms: 100 };
}

describe('iou', () => {
  it.each([
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 0, y: 0, w: 10, h: 10 }, 1],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 }, 50 / 150],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 }, 0],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 2, y: 2, w: 5, h: 5 }, 25 / 100],
    [{ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 }, 0],
  ])('%o %o → %f', (a, b, v) => {
    expect(iou(a, b)).toBeCloseTo(v, 6);
  });
});

describe('text similarity', () => {
  it.each([
    ['ABC123', 'ABC123', 0, 1],
    ['ABC123', 'ABC124', 1, 5 / 6],
    ['ABC123', 'A8C123', 1, 1], // B/8 look-alike
    ['7ABC123', 'ABC123', 1, 6 / 7],
    ['ABC123', 'XYZ789', 6, 0],
    ['', '', 0, 0],
  ])('%s vs %s', (a, b, d, s) => {
    expect(editDistance(a, b)).toBe(d);
    expect(textSimilarity(a, b)).toBeCloseTo(s, 6);
  });
});

describe('padBox', () => {
  it.each([
    [{ x: 100, y: 100, w: 100, h: 50 }, 0.1, 0.2, { x: 90, y: 90, w: 120, h: 70 }],
    [{ x: 0, y: 0, w: 100, h: 50 }, 0.1, 0.2, { x: 0, y: 0, w: 110, h: 60 }],
    [{ x: 1250, y: 700, w: 100, h: 50 }, 0.1, 0.2, { x: 1240, y: 690, w: 40, h: 30 }],
  ])('%o', (b, px, py, out) => {
    expect(padBox(b, 1280, 720, px, py)).toEqual(out);
  });
});

describe('consensus', () => {
  const obs = (text: string, c: number, alts: [string, number][] = [], seq = 0): Observation => ({
    frame: meta('rear', seq, seq * 100),
    reading: reading(text, c, undefined, alts),
  });
  it.each([
    {
      name: 'unanimous',
      obs: [obs('7ABC123', 0.9), obs('7ABC123', 0.8, [], 1)],
      text: '7ABC123',
      conf: 0.85,
      bestSeq: 0,
    },
    {
      name: 'majority over one misread',
      obs: [obs('7ABC123', 0.7, [], 0), obs('7A8C123', 0.95, [], 1), obs('7ABC123', 0.8, [], 2)],
      text: '7ABC123',
      conf: 0.5,
      bestSeq: 2,
    },
    {
      name: 'alternatives count in the vote',
      obs: [obs('8XYZ456', 0.6, [['BXYZ456', 0.35]], 0), obs('BXYZ456', 0.5, [['8XYZ456', 0.45]], 1)],
      text: '8XYZ456',
      conf: 0.525,
      bestSeq: 0,
    },
    {
      name: 'confidence outweighs count',
      obs: [obs('AAA111', 0.3, [], 0), obs('AAA111', 0.3, [], 1), obs('AAA777', 0.95, [], 2)],
      text: 'AAA777',
      conf: 0.95 / 3,
      bestSeq: 2,
    },
  ])('$name', ({ obs: o, text, conf, bestSeq }) => {
    const c = consensus(o, 5);
    expect(c.text).toBe(text);
    expect(c.confidence).toBeCloseTo(conf, 6);
    expect(c.candidates[0]).toEqual({ text, confidence: c.confidence });
    expect(c.best.frame.seq).toBe(bestSeq);
  });
  it('keeps topN alternatives, best first', () => {
    const c = consensus(
      [
        obs('AB12', 0.6, [
          ['A812', 0.3],
          ['AB1Z', 0.2],
        ]),
      ],
      2,
    );
    expect(c.candidates.map((x) => x.text)).toEqual(['AB12', 'A812']);
  });
  it('refuses an empty track', () => {
    expect(() => consensus([], 3)).toThrow(RangeError);
  });
});

describe('Tracker', () => {
  const cfg = { ...TRACKER_DEFAULTS, leaveMs: 1000, maxTrackMs: 5000, suppressMs: 10_000 };

  it('one vehicle over several frames → one detection when it leaves, with the consensus text', () => {
    const t = new Tracker(cfg);
    t.update(result('rear', 0, 0, [reading('7ABC123', 0.8, { x: 500, y: 500, w: 200, h: 60 })]));
    t.update(result('rear', 1, 200, [reading('7A8C123', 0.6, { x: 510, y: 505, w: 205, h: 62 })]));
    t.update(result('rear', 2, 400, [reading('7ABC123', 0.9, { x: 520, y: 510, w: 210, h: 64 })]));
    expect(t.expire(1000)).toEqual([]);
    const out = t.expire(1401);
    expect(out).toHaveLength(1);
    const d = out[0]!.detection;
    expect([d.reading.text, d.frames, d.frame.seq]).toEqual(['7ABC123', 3, 2]);
    expect(d.reading.box).toEqual({ x: 520, y: 510, w: 210, h: 64 });
    expect(t.stats()).toMatchObject({ open: 0, emitted: 1 });
  });

  it('two plates on one frame are two tracks; other cameras are separate', () => {
    const t = new Tracker(cfg);
    const left = { x: 100, y: 500, w: 200, h: 60 };
    const right = { x: 900, y: 500, w: 200, h: 60 };
    const ids = t.update(result('rear', 0, 0, [reading('AAA111', 0.9, left), reading('BBB222', 0.9, right)]));
    expect(new Set(ids).size).toBe(2);
    const ids2 = t.update(
      result('rear', 1, 100, [reading('BBB222', 0.9, right), reading('AAA111', 0.9, left)]),
    );
    expect(ids2).toEqual([ids[1], ids[0]]);
    const other = t.update(result('front', 0, 100, [reading('AAA111', 0.9, left)]));
    expect(ids).not.toContain(other[0]);
    expect(
      t
        .expire(5000)
        .map((s) => `${s.detection.frame.cameraId}:${s.detection.reading.text}`)
        .sort(),
    ).toEqual(['front:AAA111', 'rear:AAA111', 'rear:BBB222']);
  });

  it('an overlapping box with unrelated text is a new vehicle', () => {
    const t = new Tracker(cfg);
    const a = t.update(result('rear', 0, 0, [reading('AAA111', 0.9)]));
    const b = t.update(result('rear', 1, 100, [reading('XYZ789', 0.9)]));
    expect(a[0]).not.toBe(b[0]);
  });

  it('a similar text far away in the frame joins the track (low fps)', () => {
    const t = new Tracker(cfg);
    const a = t.update(result('rear', 0, 0, [reading('7ABC123', 0.9, { x: 100, y: 100, w: 100, h: 40 })]));
    const b = t.update(result('rear', 1, 500, [reading('7ABC128', 0.9, { x: 900, y: 600, w: 200, h: 60 })]));
    expect(b).toEqual(a);
  });

  it('the same plate on the same camera within suppressMs is one vehicle', () => {
    const t = new Tracker(cfg);
    t.update(result('rear', 0, 0, [reading('7ABC123', 0.9)]));
    expect(t.expire(2000)).toHaveLength(1);
    t.update(result('rear', 1, 6000, [reading('7ABC123', 0.9)]));
    expect(t.expire(8000)).toHaveLength(0);
    t.update(result('rear', 2, 12_000, [reading('7ABC123', 0.9)]));
    expect(t.expire(14_000)).toHaveLength(1);
    expect(t.stats()).toMatchObject({ emitted: 2, suppressed: 1 });
  });

  it('a plate in view past maxTrackMs is emitted once, not again when it leaves', () => {
    const t = new Tracker(cfg);
    for (let i = 0; i <= 12; i++) {
      t.update(result('rear', i, i * 500, [reading('PARK01', 0.9)]));
      const out = t.expire(i * 500);
      expect(out).toHaveLength(i === 10 ? 1 : 0);
    }
    expect(t.stats().open).toBe(1);
    expect(t.expire(20_000)).toHaveLength(0);
    expect(t.stats()).toMatchObject({ open: 0, emitted: 1 });
  });

  it('tracks seen on fewer than minFrames frames are dropped; flush settles open tracks', () => {
    const t = new Tracker({ ...cfg, minFrames: 2 });
    t.update(result('rear', 0, 0, [reading('ONCE11', 0.9)]));
    expect(t.expire(5000)).toHaveLength(0);
    expect(t.stats().short).toBe(1);
    t.update(result('rear', 1, 6000, [reading('TWICE2', 0.9)]));
    t.update(result('rear', 2, 6100, [reading('TWICE2', 0.9)]));
    expect(t.flush().map((s) => s.detection.reading.text)).toEqual(['TWICE2']);
    expect(t.stats().open).toBe(0);
  });

  it('settleNow emits a track at once (a hot read) and never again for that track', () => {
    const t = new Tracker(cfg);
    const [id] = t.update(result('rear', 0, 0, [reading('HOT123', 0.9)]));
    const s = t.settleNow(id!);
    expect(s?.detection.reading.text).toBe('HOT123');
    expect(t.settleNow(id!)).toBeNull();
    t.update(result('rear', 1, 100, [reading('HOT123', 0.9)]));
    expect(t.expire(5000)).toHaveLength(0);
    expect(t.stats()).toMatchObject({ open: 0, emitted: 1 });
    expect(t.settleNow(12345)).toBeNull();
  });

  it('attaches each frame read only when rawReads is on', () => {
    for (const rawReads of [false, true]) {
      const t = new Tracker({ ...cfg, rawReads });
      t.update(result('rear', 0, 0, [reading('AB123', 0.8)]));
      t.update(result('rear', 1, 100, [reading('A8123', 0.6)]));
      const d = t.flush()[0]!.detection;
      expect(d.frameReads?.map((r) => [r.seq, r.text])).toEqual(
        rawReads
          ? [
              [0, 'AB123'],
              [1, 'A8123'],
            ]
          : undefined,
      );
    }
  });

  it("names the state the vehicle's reads name most surely, the screen's reads included", () => {
    const t = new Tracker(cfg);
    const withState = (r: PlateReading, code: string, confidence: number) => ({
      ...r,
      state: { code, confidence },
    });
    t.update(result('rear', 0, 0, [withState(reading('7ABC123', 0.4), 'NV', 0.6)]));
    t.update(result('rear', 1, 100, [withState(reading('7ABC123', 0.5), 'CA', 0.86)]));
    // a thorough look reads the registration better and the legend not at all: its read wins the
    // vote, the state stays
    t.update({ ...result('rear', 1, 100, [reading('7ABC128', 0.9)]), thorough: true });
    const d = t.flush()[0]!.detection;
    expect([d.reading.text, d.reading.state]).toEqual(['7ABC128', { code: 'CA', confidence: 0.86 }]);
    // no state read on any frame: none
    const u = new Tracker(cfg);
    u.update(result('rear', 0, 0, [reading('7ABC123', 0.8)]));
    expect(u.flush()[0]!.detection.reading.state ?? null).toBeNull();
  });

  it("takes a legend look's state into the track of the plate it looked at", () => {
    const t = new Tracker(cfg);
    const left = { x: 100, y: 500, w: 200, h: 60 };
    const right = { x: 900, y: 500, w: 200, h: 60 };
    t.update(result('rear', 0, 0, [reading('7ABC123', 0.9, left), reading('BGB3282', 0.9, right)]));
    t.update(result('rear', 1, 100, [reading('7ABC123', 0.9, left), reading('BGB3282', 0.9, right)]));
    const look = (seq: number, box: Box, text: string, code: string) => ({
      frame: meta('rear', seq, seq * 100),
      box,
      text,
      state: { code, confidence: 0.8 },
    });
    // by the frame and box it looked at; a later look at a frame whose read was dropped: by text
    expect(t.addState(look(0, right, 'BGB3282', 'TX'))).toBe(true);
    expect(t.addState(look(7, left, '7ABC128', 'CA'))).toBe(true);
    // another camera's plate, or a text no open track reads: no track takes it
    expect(t.addState({ ...look(1, left, '7ABC123', 'NV'), frame: meta('front', 1, 100) })).toBe(false);
    expect(t.addState(look(1, { x: 0, y: 0, w: 50, h: 20 }, 'ZZZ999', 'NV'))).toBe(false);
    const byText = new Map(t.flush().map((s) => [s.detection.reading.text, s.detection.reading.state]));
    expect(Object.fromEntries(byText)).toEqual({
      '7ABC123': { code: 'CA', confidence: 0.8 },
      BGB3282: { code: 'TX', confidence: 0.8 },
    });
    // a track already settled (a hit settles at once) takes no later state
    const h = new Tracker(cfg);
    const [id] = h.update(result('rear', 0, 0, [reading('7ABC123', 0.9, left)]));
    expect(h.addState(look(0, left, '7ABC123', 'CA'))).toBe(true);
    h.settleNow(id!);
    expect(h.addState(look(0, left, '7ABC123', 'NV'))).toBe(false);
  });
});
