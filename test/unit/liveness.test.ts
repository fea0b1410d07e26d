import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { hungReason, Liveness, type LivenessState } from '../../src/notify/liveness.ts';

const lim = { maxLoopLagMs: 5000, maxFrameStallMs: 30_000 };
const base: LivenessState = {
  lastTickAt: 100_000,
  lastLagMs: 0,
  lastFrameAt: null,
  lastResultAt: null,
  startedAt: 0,
};

describe('liveness verdict (pure)', () => {
  it.each<[string, Partial<LivenessState>, number, string | null]>([
    ['idle, no cameras', {}, 100_500, null],
    ['event loop late', { lastLagMs: 7000 }, 100_500, 'event loop 7000 ms late'],
    ['event loop stalled', {}, 107_000, 'event loop stalled 7000 ms'],
    ['frames flowing and recognized', { lastFrameAt: 100_000, lastResultAt: 99_000 }, 100_500, null],
    [
      'frames flowing, none recognized for 40 s',
      { lastFrameAt: 100_000, lastResultAt: 60_000 },
      100_500,
      'frames arriving but none recognized for 40500 ms',
    ],
    [
      'camera dead (no frames for a minute): a red light, not a restart',
      { lastFrameAt: 40_000, lastResultAt: 39_000 },
      100_500,
      null,
    ],
    [
      'never recognized a frame since start',
      { lastFrameAt: 100_000, startedAt: 50_000 },
      100_500,
      'frames arriving but none recognized for 50500 ms',
    ],
  ])('%s', (_name, s, now, want) => {
    expect(hungReason({ ...base, ...s }, now, lim)).toBe(want);
  });

  it('follows frames and results on the bus', () => {
    let t = 1_000_000;
    const bus = new Bus();
    const l = new Liveness(bus, { maxLoopLagMs: 60_000, maxFrameStallMs: 30_000 }, () => t);
    l.start();
    const frame = {
      cameraId: 'a',
      orientation: 'front',
      seq: 1,
      capturedAt: t,
      width: 1,
      height: 1,
      data: Buffer.alloc(3),
    } as const;
    bus.emit('frame', frame);
    t += 10_000;
    expect(l.alive()).toBe(true);
    t += 25_000;
    bus.emit('frame', frame);
    expect(l.reason()).toBe('frames arriving but none recognized for 35000 ms');
    const { data: _d, ...meta } = frame;
    bus.emit('frameResult', { frame: meta, plates: [], ms: 5 });
    expect(l.alive()).toBe(true);
    l.stop();
  });
});
