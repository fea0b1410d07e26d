/** The ffmpeg source's pipe thread, driven by a fake producer (a node child writing raw frames). */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegSource } from '../../src/capture/ffmpeg-source.ts';
import type { SourceHandlers } from '../../src/capture/source.ts';
import { AlprError } from '../../src/domain/errors.ts';
import type { Frame } from '../../src/domain/types.ts';

const log = pino({ level: 'silent' });
const W = 4;
const H = 2;
const BYTES = W * H * 3;
let source: FfmpegSource | null = null;

afterEach(async () => {
  await source?.stop();
  source = null;
});

/** A producer that writes `n` frames (each filled with its index) in `chunk`-byte writes, `gapMs` apart. */
function producer(n: number, chunk: number, gapMs: number, exitCode = 0): string[] {
  const js = `
    const n=${n}, bytes=${BYTES}, chunk=${chunk}, gap=${gapMs};
    const all = Buffer.alloc(n * bytes);
    for (let i = 0; i < n; i++) all.fill(i, i * bytes, (i + 1) * bytes);
    let pos = 0;
    const step = () => {
      if (pos >= all.length) return process.stdout.end(() => process.exit(${exitCode}));
      const end = Math.min(all.length, pos + chunk);
      process.stdout.write(all.subarray(pos, end));
      pos = end;
      setTimeout(step, gap && pos % bytes < chunk ? gap : 0);
    };
    step();`;
  return ['-e', js];
}

function make(args: string[], extra: Partial<ConstructorParameters<typeof FfmpegSource>[0]> = {}) {
  source = new FfmpegSource({
    id: 'fake',
    orientation: 'rear',
    type: 'video',
    url: 'unused',
    width: W,
    height: H,
    fps: 10,
    loop: false,
    log,
    stallTimeoutMs: 5000,
    ffmpegPath: process.execPath,
    args,
    ...extra,
  });
  return source;
}

function collect(onFrame?: (f: Frame) => void) {
  const frames: Frame[] = [];
  const errors: string[] = [];
  let ended = false;
  const h: SourceHandlers = {
    onFrame: (f) => {
      frames.push(f);
      onFrame?.(f);
    },
    onError: (r) => errors.push(r),
    onEnd: () => {
      ended = true;
    },
  };
  return { h, frames, errors, ended: () => ended };
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ffmpeg source pipe thread', () => {
  it('cuts the byte stream into whole frames, in order, whatever the write sizes', async () => {
    const c = collect();
    // 50 ms between frames: time for a busy CI main thread to take each one (else the newest wins)
    await make(producer(6, 7, 50)).start(c.h);
    await waitFor('end', c.ended);
    expect(c.frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    c.frames.forEach((f, i) => {
      expect([f.width, f.height, f.data.length]).toEqual([W, H, BYTES]);
      expect(f.data.every((b) => b === i)).toBe(true);
    });
    // every frame has its own memory
    expect(new Set(c.frames.map((f) => f.data.buffer)).size).toBe(6);
  });

  it('keeps only the newest frame while the main thread is busy, and counts the drops', async () => {
    const blocker = new Int32Array(new SharedArrayBuffer(4));
    let blocked = false;
    let unblockedAt = 0;
    const c = collect(() => {
      if (!blocked) {
        blocked = true;
        Atomics.wait(blocker, 0, 0, 600); // the main thread is stuck for 600 ms
        unblockedAt = Date.now();
      }
    });
    await make(producer(30, BYTES, 10)).start(c.h);
    await waitFor('end', c.ended);
    const values = c.frames.map((f) => f.data[0]);
    expect(values[0]).toBe(0);
    expect(values.at(-1)).toBe(29); // the newest frame is never lost
    expect(c.frames.length).toBeLessThan(25);
    expect(source!.stats().dropped).toBe(30 - c.frames.length);
    // frames are stamped when they arrive, not when the busy main thread gets to them: the frame
    // handed over once it was free came while it was stuck (however slowly the producer wrote)
    expect(c.frames[1]!.capturedAt).toBeLessThan(unblockedAt);
  });

  it('restarts a producer that dies, with backoff, and reports why', async () => {
    const c = collect();
    await make(producer(1, BYTES, 0, 3), { type: 'mjpeg', backoffBaseMs: 50, backoffMaxMs: 200 }).start(c.h);
    await waitFor('three runs', () => c.frames.length >= 3);
    expect(c.errors[0]).toBe('ffmpeg exited (code 3)');
    expect(source!.stats().restarts).toBeGreaterThanOrEqual(2);
  });

  it('kills a producer that goes silent and says it stalled, not that it got a SIGKILL', async () => {
    const c = collect();
    // two frames, then silence with the pipe open (a camera frozen mid-stream)
    const silent = [
      '-e',
      `process.stdout.write(Buffer.alloc(${2 * BYTES}, 1)); setInterval(() => {}, 1000);`,
    ];
    await make(silent, {
      type: 'mjpeg',
      stallTimeoutMs: 400,
      // the producer (a node) may take longer than 400 ms to start on a loaded machine: killed
      // before its two frames, that is no stall after frames, which is what this test is about
      startupGraceMs: 10_000,
      backoffBaseMs: 50,
      backoffMaxMs: 100,
    }).start(c.h);
    await waitFor('a stall reported', () => c.errors.length >= 1);
    expect(c.errors[0]).toMatch(/^stalled: no frame for \d+ s, ffmpeg restarted$/);
    expect(c.frames.length).toBeGreaterThanOrEqual(2);
  });

  it('fails to start when the binary is missing', async () => {
    const c = collect();
    const s = make([], { ffmpegPath: '/nonexistent/ffmpeg' });
    await expect(s.start(c.h)).rejects.toThrow(AlprError);
    await expect(s.start(c.h)).rejects.toThrow(/camera fake: ffmpeg not found/);
  });
});
