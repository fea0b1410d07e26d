/**
 * Frame boundaries in the camera pipe: whatever sizes the producer's writes come in (one byte, odd
 * sizes across frame edges, many frames at once) and whatever the bytes are (JPEG markers, zeros),
 * the pipe thread delivers whole frames of exactly `frameBytes`, in order, byte for byte, and never
 * the unfinished tail. Frames it skips while the reader is busy are counted, so delivered +
 * dropped accounts for every whole frame the producer wrote. MJPEG itself is demuxed by ffmpeg; what reaches the unit is this raw stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type PipeMessage, PipeReader } from '../../src/capture/pipe-worker.ts';
import { rng } from '../support/prng.ts';
import { mulberry32 } from '../../scripts/prng.ts';

let reader: PipeReader | null = null;
afterEach(async () => {
  await reader?.close();
  reader = null;
});

/** A producer writing `total` seeded bytes in seeded chunk sizes (every write its own syscall). */
function producerScript(seed: number, total: number, maxChunk: number): string {
  return `
    let a = ${seed} >>> 0;
    const next = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
    const all = Buffer.alloc(${total});
    for (let i = 0; i < all.length; i++) all[i] = next() < 0.05 ? [0xff, 0xd8, 0xd9, 0x00][Math.floor(next() * 4)] : Math.floor(next() * 256);
    let pos = 0;
    const step = () => {
      if (pos >= all.length) return process.stdout.end(() => process.exit(0));
      const end = Math.min(all.length, pos + 1 + Math.floor(next() * ${maxChunk}));
      process.stdout.write(all.subarray(pos, end), () => setImmediate(step));
      pos = end;
    };
    step();`;
}

/** The bytes the producer writes, made the same way here. */
function expectedBytes(seed: number, total: number): Buffer {
  // the producer's generator (spelled out in its script, which runs in a child of its own)
  const next = mulberry32(seed);
  const all = Buffer.alloc(total);
  for (let i = 0; i < all.length; i++)
    all[i] = next() < 0.05 ? [0xff, 0xd8, 0xd9, 0x00][Math.floor(next() * 4)]! : Math.floor(next() * 256);
  return all;
}

interface Delivered {
  data: Buffer;
  /** Frames skipped before this one. */
  dropped: number;
}

function run(frameBytes: number, seed: number, total: number, maxChunk: number): Promise<Delivered[]> {
  return new Promise((resolve, reject) => {
    const frames: Delivered[] = [];
    const r = new PipeReader(frameBytes, (m: PipeMessage) => {
      if (m.type === 'frame') {
        frames.push({ data: Buffer.from(m.data), dropped: m.dropped });
        r.ack();
      } else if (m.type === 'error') reject(new Error(m.message));
      else if (m.type === 'exit') resolve(frames);
    });
    reader = r;
    r.spawn(process.execPath, ['-e', producerScript(seed, total, maxChunk)]);
  });
}

describe('camera pipe frame boundaries', () => {
  const cases = Array.from({ length: 12 }, (_, i) => {
    const r = rng(i + 1);
    const frameBytes = r.pick([1, 3, 7, 24, 4096, 65_537]);
    const frames = r.int(0, frameBytes > 4096 ? 6 : 40);
    // Sometimes an unfinished frame at the end (a producer killed mid-frame).
    const total = frames * frameBytes + (r.bool(0.5) ? r.int(0, frameBytes - 1) : 0);
    return {
      seed: i + 1,
      frameBytes,
      total,
      maxChunk: r.pick([1, 5, frameBytes + 1, 3 * frameBytes, 70_000]),
    };
  });

  it.each(cases)('seed $seed: $total bytes as $frameBytes-byte frames, writes up to $maxChunk', async (c) => {
    const frames = await run(c.frameBytes, c.seed, c.total, c.maxChunk);
    const bytes = expectedBytes(c.seed, c.total);
    const whole = Math.floor(c.total / c.frameBytes);
    let k = 0;
    for (const f of frames) {
      k += f.dropped;
      expect(f.data.length).toBe(c.frameBytes);
      expect(f.data.equals(bytes.subarray(k * c.frameBytes, (k + 1) * c.frameBytes)), `frame ${k}`).toBe(
        true,
      );
      k++;
    }
    expect(k).toBe(whole);
    if (whole > 0) expect(frames.length).toBeGreaterThan(0);
  });
});
