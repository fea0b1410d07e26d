/**
 * Memory soak: the daemon itself (capture → recognize → track → hot list → store, with health),
 * two file cameras replaying the demo frames at 15 fps each, for `ALPR_BENCH_SOAK_S` seconds
 * (default 3600). RSS and the JS heap after a full GC are sampled every `ALPR_BENCH_SOAK_SAMPLE_S`
 * (default 10); after a warm-up (a fifth of the run, at most 10 min) the figures are the RSS slope
 * in MB/hour (least squares), the plateau (median RSS of the last quarter) and the heap growth.
 *
 *   npm run bench -- soak              ALPR_BENCH_SOAK_S=300 npm run bench -- soak
 *   npm run bench -- soak --config config/default.yaml   (that config's recognize section and workers)
 *
 * The short soak in the tests (test/integration/soak.test.ts) runs the same loop for about a minute.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { Daemon } from '../../src/daemon.ts';
import { arg } from './args.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface SoakSample {
  /** Seconds since the daemon started. */
  t: number;
  rssMb: number;
  heapMb: number;
  /** Buffers and ArrayBuffers (frames, JPEGs) after GC: outside the JS heap. */
  buffersMb: number;
}

export interface SoakResult {
  samples: SoakSample[];
  warmupS: number;
  frames: number;
  reads: number;
  /** RSS slope after warm-up, MB per hour. */
  rssSlopeMbPerHour: number;
  /** Median RSS of the last quarter, MB. */
  rssPlateauMb: number;
  rssMaxMb: number;
  heapSlopeMbPerHour: number;
  /** Heap after GC: first sample after warm-up, and the last one. */
  heapAfterWarmupMb: number;
  heapLastMb: number;
}

/** A full GC, when V8 lets us have one (no --expose-gc needed). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Least-squares slope of y over t (per second). */
export function slope(points: readonly { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Runs the daemon on two replayed cameras for `durationS`, sampling memory every `sampleS`. */
export async function runSoak(opts: {
  durationS: number;
  sampleS: number;
  warmupS?: number;
  cameras?: number;
  fps?: number;
  /** The recognize section (default: the schema's). */
  recognize?: unknown;
  onSample?: (s: SoakSample) => void;
}): Promise<SoakResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-soak-'));
  const data = join(tmp, 'data');
  const creds = join(tmp, 'creds');
  mkdirSync(data);
  mkdirSync(creds);
  writeFileSync(join(creds, 'store.key'), 'cd'.repeat(32));
  const cams = opts.cameras ?? 2;
  const config = configSchema.parse({
    version: 1,
    unit: { id: 'soak-0001', agency: 'soak-pd', mode: 'car' },
    paths: { dataDir: data, credentialsDir: creds },
    log: { level: 'error' },
    cameras: Array.from({ length: cams }, (_, i) => ({
      id: `cam${i}`,
      type: 'file',
      orientation: i === 0 ? 'front' : 'rear',
      path: join(ROOT, 'fixtures/demo/frames'),
      fps: opts.fps ?? 15,
      loop: true,
    })),
    gps: { type: 'none' },
    ...(opts.recognize ? { recognize: opts.recognize } : {}),
    hotlist: { seedCsv: [{ list: 'LOCAL', path: join(ROOT, 'fixtures/demo/hotlist.csv') }] },
    sync: { type: 'none' },
    alerts: { console: false },
    health: { http: { port: 0 } },
    web: { enabled: false },
  });
  const daemon = new Daemon(config, pino({ level: 'silent' }));
  let frames = 0;
  let reads = 0;
  daemon.bus.on('frame', () => frames++);
  daemon.bus.on('read', () => reads++);
  const samples: SoakSample[] = [];
  const t0 = Date.now();
  try {
    await daemon.start();
    while (Date.now() - t0 < opts.durationS * 1000) {
      await new Promise((r) => setTimeout(r, opts.sampleS * 1000));
      fullGc();
      const m = process.memoryUsage();
      const s = {
        t: (Date.now() - t0) / 1000,
        rssMb: m.rss / 1048576,
        heapMb: m.heapUsed / 1048576,
        buffersMb: m.arrayBuffers / 1048576,
      };
      samples.push(s);
      opts.onSample?.(s);
    }
  } finally {
    await daemon.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  const warmupS = opts.warmupS ?? Math.min(600, opts.durationS / 5);
  const after = samples.filter((s) => s.t >= warmupS);
  const lastQuarter = samples.slice(Math.floor((samples.length * 3) / 4));
  return {
    samples,
    warmupS,
    frames,
    reads,
    rssSlopeMbPerHour: slope(after.map((s) => ({ t: s.t, y: s.rssMb }))) * 3600,
    rssPlateauMb: median(lastQuarter.map((s) => s.rssMb)),
    rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
    heapSlopeMbPerHour: slope(after.map((s) => ({ t: s.t, y: s.heapMb }))) * 3600,
    heapAfterWarmupMb: after[0]?.heapMb ?? Number.NaN,
    heapLastMb: after.at(-1)?.heapMb ?? Number.NaN,
  };
}

/** The bench entry: figures for `npm run bench -- soak`. */
export async function benchSoak(): Promise<Record<string, number | string>> {
  const durationS = Number(process.env.ALPR_BENCH_SOAK_S ?? 3600);
  const sampleS = Number(process.env.ALPR_BENCH_SOAK_SAMPLE_S ?? 10);
  const file = arg('--config');
  const r = await runSoak({
    durationS,
    sampleS,
    recognize: file ? loadConfig(file).recognize : undefined,
    onSample: (s) =>
      console.log(
        `soak: t=${s.t.toFixed(0)} s RSS ${s.rssMb.toFixed(1)} MB, after GC: heap ${s.heapMb.toFixed(1)} MB, buffers ${s.buffersMb.toFixed(1)} MB`,
      ),
  });
  const f = (n: number) => Number(n.toFixed(1));
  return {
    ...(file ? { 'soak: recognize section of': file } : {}),
    'soak: duration s / warm-up s / samples': `${durationS} / ${r.warmupS} / ${r.samples.length}`,
    'soak: frames in / reads (2 cameras × 15 fps offered)': `${r.frames} / ${r.reads}`,
    'soak: RSS slope after warm-up, MB/hour': f(r.rssSlopeMbPerHour),
    'soak: RSS plateau (median of last quarter), MB': f(r.rssPlateauMb),
    'soak: RSS max, MB': f(r.rssMaxMb),
    'soak: heap after GC, after warm-up → end, MB': `${f(r.heapAfterWarmupMb)} → ${f(r.heapLastMb)}`,
    'soak: heap after GC slope, MB/hour': f(r.heapSlopeMbPerHour),
  };
}
