/** The capture stage with fake sources and fake timers: start-up retries, fps in and fps processed. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraSource, SourceHandlers } from '../../src/capture/source.ts';
import type { CameraConfig } from '../../src/config/schema.ts';
import { AlprError, ErrorCodes } from '../../src/domain/errors.ts';
import { cameraConfig, captureHarness } from '../support/capture-harness.ts';

const log = pino({ level: 'silent' });

/** A camera that fails its first `failures` starts, then gives a frame every `everyMs`. */
class FakeSource implements CameraSource {
  starts = 0;
  stops = 0;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  constructor(
    readonly id: string,
    private readonly failures: number,
    private readonly everyMs: number,
  ) {}

  async start(h: SourceHandlers): Promise<void> {
    this.starts++;
    if (this.starts <= this.failures)
      throw new AlprError(ErrorCodes.CAMERA, `camera ${this.id}: /dev/video7 not found`);
    this.timer = setInterval(() => {
      h.onFrame({
        cameraId: this.id,
        orientation: 'front',
        seq: this.seq++,
        capturedAt: Date.now(),
        width: 2,
        height: 1,
        data: Buffer.alloc(6),
      });
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    this.stops++;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function cam(id: string, extra: Record<string, unknown> = {}): CameraConfig {
  return cameraConfig({ id, type: 'v4l2', url: '/dev/video7', ...extra }, 'front');
}

function harness(cameras: CameraConfig[], sources: Record<string, FakeSource>, logger = log) {
  const h = captureHarness({ log: logger, cameras, createSource: (c) => sources[c.id]! });
  const lights = (id: string) => h.lights(id).map((r) => `${r.light} ${r.reason}`);
  return { ...h, lights };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('capture stage', () => {
  it('retries a camera that failed to start with backoff (1, 2, 4 s…) and turns it green', async () => {
    const late = new FakeSource('late', 3, 100);
    const ok = new FakeSource('ok', 0, 100);
    const h = harness([cam('late'), cam('ok')], { late, ok });
    await h.stage.start();
    expect(h.lights('late')).toEqual([
      'amber camera late: starting',
      'red camera late: failed to start: /dev/video7 not found',
    ]);
    expect(late.starts).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(late.starts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.starts).toBe(2); // after 1 s
    await vi.advanceTimersByTimeAsync(2000);
    expect(late.starts).toBe(3); // after 2 s more
    await vi.advanceTimersByTimeAsync(3999);
    expect(late.starts).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.starts).toBe(4); // after 4 s more: this one works
    // one red report for the whole red spell, not one per failed retry
    expect(h.lights('late')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(150);
    expect(h.lights('late').at(-1)).toBe('green camera late: frames arriving');
    expect(h.lights('ok')).toEqual(['amber camera ok: starting', 'green camera ok: frames arriving']);
    const st = h.stage.stats().find((s) => s.id === 'late')!;
    expect(st.restarts).toBe(3);
    await h.stage.stop();
  });

  it('caps the retry delay at restartMaxS, logs the same failure once, and stops retrying on stop', async () => {
    const never = new FakeSource('never', 1000, 100);
    const lines: { level: number; msg: string }[] = [];
    const sink = { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) };
    const h = harness([cam('never', { restartMaxS: 3 })], { never }, pino({ level: 'info' }, sink));
    await h.stage.start();
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 3000 + 3000);
    expect(never.starts).toBe(5);
    // one error line at info and above for five failures with the same reason
    expect(lines.filter((l) => l.msg === 'camera failed to start').map((l) => l.level)).toEqual([50]);
    await h.stage.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(never.starts).toBe(5);
  });

  it('a camera that starts after failing but gives no frame goes red for that, then green', async () => {
    // starts on the 2nd try but its first frame comes only after 10 s
    const slow = new FakeSource('slow', 1, 10_000);
    const h = harness([cam('slow', { noFrameTimeoutS: 2 })], { slow });
    await h.stage.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(slow.starts).toBe(2);
    await vi.advanceTimersByTimeAsync(9500);
    // red for the failed start, then red for what is wrong now: started, but no frame
    const lights = h.lights('slow');
    expect(lights.map((l) => l.split(' ')[0])).toEqual(['amber', 'red', 'red']);
    expect(lights[2]).toMatch(/^red camera slow: no frame for over 2 s/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.lights('slow').at(-1)).toBe('green camera slow: frames arriving');
    await h.stage.stop();
  });

  it('counts fps in and fps processed per camera (frame results on the bus)', async () => {
    const a = new FakeSource('a', 0, 100); // 10 fps in
    const b = new FakeSource('b', 0, 200); // 5 fps in
    const h = harness([cam('a'), cam('b')], { a, b });
    // a reader that takes every 4th frame of a and every frame of b
    h.bus.on('frame', (f) => {
      if (f.cameraId === 'b' || f.seq % 4 === 0) {
        const { data: _d, ...frame } = f;
        h.bus.emit('frameResult', { frame, plates: [], ms: 1 });
      }
    });
    await h.stage.start();
    await vi.advanceTimersByTimeAsync(6000);
    const st = Object.fromEntries(h.stage.stats().map((s) => [s.id, s]));
    expect([st.a!.fpsIn, st.a!.fpsProcessed]).toEqual([10, 2.5]);
    expect([st.b!.fpsIn, st.b!.fpsProcessed]).toEqual([5, 5]);
    expect([st.a!.framesIn, st.a!.processed]).toEqual([60, 15]);
    await h.stage.stop();
    // after stop, results are not counted any more (the stage left the bus)
    h.bus.emit('frameResult', { frame: { ...h.frames[0]!, data: undefined } as never, plates: [], ms: 1 });
    expect(h.stage.stats().find((s) => s.id === 'a')!.processed).toBe(15);
  });
});
