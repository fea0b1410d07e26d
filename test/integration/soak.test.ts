/**
 * A short memory soak: the daemon on two file cameras replaying the demo frames at 15 fps for about
 * a minute (`npm run bench -- soak` runs the hour). Fails on a clear leak: the JS heap or the
 * buffers (frames, JPEGs) after a full GC growing by tens of MB once warm, or RSS climbing far past
 * where it settled. The bounds are generous: a frame kept per frame would pass them in seconds.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../scripts/bench/soak.ts';

const DURATION_S = Number(process.env.ALPR_TEST_SOAK_S ?? 75);
const WARMUP_S = 25;

describe('short memory soak (2 cameras × 15 fps, demo frames)', () => {
  it(
    'heap, buffers and RSS stay flat after warm-up',
    async () => {
      const r = await runSoak({ durationS: DURATION_S, sampleS: 5, warmupS: WARMUP_S });
      const after = r.samples.filter((s) => s.t >= WARMUP_S);
      const line = (s: (typeof after)[number]) =>
        `t=${s.t.toFixed(0)} rss=${s.rssMb.toFixed(0)} heap=${s.heapMb.toFixed(1)} buf=${s.buffersMb.toFixed(1)}`;
      console.log(`soak: ${r.frames} frames, ${r.reads} reads\n${r.samples.map(line).join('\n')}`);
      // The pipeline really ran: frames in and plates read.
      expect(r.frames).toBeGreaterThan(DURATION_S * 2);
      expect(r.reads).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThanOrEqual(5);
      const first = after[0]!;
      const last = after.at(-1)!;
      expect(last.heapMb - first.heapMb).toBeLessThan(10);
      expect(Math.max(...after.map((s) => s.buffersMb)) - first.buffersMb).toBeLessThan(100);
      // RSS also moves with native allocations (the models), so only a climb no allocator swing makes
      expect(last.rssMb - Math.min(...after.map((s) => s.rssMb))).toBeLessThan(300);
    },
    (DURATION_S + 120) * 1000,
  );
});
