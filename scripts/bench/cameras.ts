/**
 * Camera benchmark: 2 cameras × 15 fps of 1280×720 MJPEG over HTTP on loopback, served by
 * ffmpeg from the project's demo frames. Phase 1: capture only (fps in, CPU of node and of the
 * decoding ffmpeg children, RSS). Phase 2: capture → recognize → track (fps processed, frames
 * dropped, frame→read latency p50/p99 and where it goes, CPU, RSS at start and end).
 *
 * The latency breakdown, per frame read: capture→main (the frame's last byte from ffmpeg to the
 * main thread's 'frame' event), wait (from there to the start of its inference: the recognizer was
 * busy with the previous frame), inference (recognizer, worker round trip included), and the hit
 * path after it: the track stage settling a hot read and cutting its JPEGs until the 'detection'
 * (every read counts as hot here, so each track settles on its first read).
 *
 * Then a soak: the stream killed and brought back N times (red → green each time, RSS flat).
 *
 *   npx tsx scripts/bench/cameras.ts [captureSeconds] [pipelineSeconds] [soakCycles]   (default 15 30 8)
 *   npm run bench -- cameras --config config/default.yaml   (recognize section and workers of a config)
 *   npm run bench -- cameras --config config/default.yaml --frames M [--hold N] [--hot none]
 *     real traffic instead of the demo's frames: the 1280×720 frames of manifest M (e.g.
 *     ../shared/data/plates-dev/endtoend-us.jsonl), each shown for N frames in a row (default 1:
 *     a new vehicle every frame, the worst case for the thorough looks; 15: one a second);
 *     `--hot none`: no read is a hit (default all: every read is, the worst case for the hit path)
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { CaptureStage } from '../../src/capture/index.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { loadConfig } from '../../src/config/load.ts';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { Bus } from '../../src/core/bus.ts';
import { createWorkerPool, RecognizeStage } from '../../src/recognize/index.ts';
import { TrackStage } from '../../src/track/index.ts';
import { cameraDecoders, freePort, serveMjpeg } from '../../test/support/camera-servers.ts';
import { arg } from './args.ts';

const DEMO_FRAMES = resolve(import.meta.dirname, '../../fixtures/demo/frames/frame-%03d.jpg');
const FPS = 15;
const log = pino({ level: 'silent' });

/**
 * `--frames M`: the 1280×720 frames of manifest M copied (each `--hold` times in a row) into a
 * temporary folder as an image sequence ffmpeg can loop; null without `--frames`.
 */
function realFrames(): { pattern: string; count: number; dir: string } | null {
  const manifest = arg('--frames');
  if (!manifest) return null;
  const root = arg('--root') ?? dirname(resolve(manifest));
  const hold = Math.max(1, Number(arg('--hold') ?? 1));
  const images = readFileSync(manifest, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { image: string; width?: number; height?: number; crop?: boolean })
    .filter((l) => !l.crop && l.width === 1280 && l.height === 720)
    .map((l) => resolve(root, l.image));
  if (images.length === 0) throw new Error(`no 1280x720 frames in ${manifest}`);
  const dir = mkdtempSync(join(tmpdir(), 'alpr-bench-frames-'));
  let n = 0;
  for (const img of images)
    for (let k = 0; k < hold; k++) copyFileSync(img, join(dir, `frame-${String(n++).padStart(4, '0')}.jpg`));
  return { pattern: join(dir, 'frame-%04d.jpg'), count: images.length, dir };
}

const REAL = realFrames();
process.on('exit', () => REAL && rmSync(REAL.dir, { recursive: true, force: true }));
const FRAMES = REAL?.pattern ?? DEMO_FRAMES;

/** An MJPEG-over-HTTP camera: the frames' JPEGs looped at 15 fps, copied (not re-encoded). */
function serve(port: number): ChildProcess {
  return serveMjpeg(port, ['-loop', '1', '-framerate', String(FPS), '-i', FRAMES, '-c:v', 'copy']);
}

/** The recognize section of the config file after `--config`, if given (its cameras are not used). */
function configRecognize() {
  const file = arg('--config');
  return file ? { file, section: loadConfig(file).recognize } : undefined;
}

/** CPU seconds used so far by the camera decoders: this process's ffmpeg children that write raw frames to a pipe. */
function childFfmpegCpuS(): number {
  return cameraDecoders().reduce((s, c) => s + c.cpuS, 0);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const mb = (n: number) => Math.round(n / 1048576);
const loopDelay = (h: ReturnType<typeof monitorEventLoopDelay>) =>
  [h.percentile(50), h.percentile(99), h.max].map((v) => (v / 1e6).toFixed(0)).join(' / ');
/** RSS after a full GC when node runs with --expose-gc (frames are big: garbage hides leaks). */
function settledRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

export async function benchCameras(captureS = 15, pipelineS = 30): Promise<Record<string, number | string>> {
  const ports = [await freePort(), await freePort()];
  // `-listen 1` serves one client and ends with it: each phase gets fresh servers.
  let servers = ports.map(serve);
  const cameras = ports.map((port, i) =>
    cameraSchema.parse({
      id: `cam${i}`,
      type: 'mjpeg',
      orientation: i === 0 ? 'front' : 'rear',
      url: `http://127.0.0.1:${port}/`,
      width: 1280,
      height: 720,
      fps: FPS,
    }),
  );
  const out: Record<string, number | string> = {};
  try {
    // Phase 1: capture only.
    const bus = new Bus();
    const capture = new CaptureStage({ bus, log, cameras });
    await capture.start();
    await new Promise((r) => setTimeout(r, 3000)); // connect and settle
    const frames0 = capture.stats().reduce((s, c) => s + c.framesIn, 0);
    const cpu0 = process.cpuUsage();
    const ff0 = childFfmpegCpuS();
    const rss0 = process.memoryUsage().rss;
    const loop0 = monitorEventLoopDelay({ resolution: 10 });
    loop0.enable();
    await new Promise((r) => setTimeout(r, captureS * 1000));
    loop0.disable();
    const cpu = process.cpuUsage(cpu0);
    const frames = capture.stats().reduce((s, c) => s + c.framesIn, 0) - frames0;
    out['capture: fps in, per camera (target 15)'] = capture
      .stats()
      .map((c) => c.fpsIn.toFixed(1))
      .join(' / ');
    out['capture: frames in'] = frames;
    out['capture: node CPU % of one core'] = (cpu.user + cpu.system) / 1e4 / captureS;
    out['capture: ffmpeg decoders CPU % of one core'] = ((childFfmpegCpuS() - ff0) * 100) / captureS;
    out['capture: RSS MB start → end'] = `${mb(rss0)} → ${mb(process.memoryUsage().rss)}`;
    out['capture: event loop delay p50 / p99 / max ms'] = loopDelay(loop0);
    await capture.stop();
    for (const sv of servers) sv.kill('SIGKILL');
    servers = ports.map(serve);

    // Phase 2: capture → recognize → track.
    const bus2 = new Bus();
    // As the daemon runs it: inference on worker threads (recognize.workers, default 1;
    // ALPR_BENCH_WORKERS=2 measures two, one per camera).
    // ALPR_BENCH_RECOGNIZE='{"detector":"plate-det",...}' measures another recognize profile;
    // --config FILE the recognize section (workers included) of a config file.
    const fromFile = configRecognize();
    const workers = Number(process.env.ALPR_BENCH_WORKERS ?? fromFile?.section.workers ?? 1);
    const profile = JSON.parse(process.env.ALPR_BENCH_RECOGNIZE ?? '{}') as Record<string, unknown>;
    const section = fromFile
      ? { ...fromFile.section, workers }
      : recognizeSection.parse({ ...profile, workers });
    const recognizer = await createWorkerPool(section, log, workers);
    out['pipeline: recognize profile'] = fromFile
      ? `${fromFile.file}: ${section.profile}, escalation ${section.escalation}`
      : JSON.stringify(profile);
    const recognize = new RecognizeStage({
      bus: bus2,
      log,
      recognizer,
      minConfidence: 0.5,
      concurrency: workers,
      escalation: section.escalation,
      legendLooks: section.state,
    });
    out['pipeline: recognizer workers'] = workers;
    out['pipeline: frames'] = REAL
      ? `${REAL.count} real 1280x720 frames of ${arg('--frames')}, each ${arg('--hold') ?? 1} in a row`
      : 'the demo frames';
    // Every read is hot (default): each track settles on its first read, as a hit would
    // (detection count is unchanged: a track is emitted once either way), and its JPEGs are cut at
    // once. `--hot none`: no read is hot, as on most of a patrol (hits are rare): tracks settle when
    // the vehicle leaves, and only then are their images cut.
    const hot = (arg('--hot') ?? 'all') !== 'none';
    const track = new TrackStage({ bus: bus2, log, isHot: () => hot });
    out['pipeline: reads hot (--hot)'] = hot ? 'all' : 'none';
    const capture2 = new CaptureStage({ bus: bus2, log, cameras });
    const now = () => performance.timeOrigin + performance.now();
    const key = (f: { cameraId: string; seq: number }) => `${f.cameraId}:${f.seq}`;
    const seenAt = new Map<string, number>();
    const readAt = new Map<string, number>();
    const lat: number[] = [];
    const parts = {
      handoff: [] as number[],
      wait: [] as number[],
      infer: [] as number[],
      hit: [] as number[],
    };
    let reads = 0;
    bus2.on('frame', (f) => {
      seenAt.set(key(f), now());
      if (seenAt.size > 500) seenAt.delete(seenAt.keys().next().value!);
    });
    const lookLat: number[] = [];
    bus2.on('frameResult', (r) => {
      const t = now();
      if (r.thorough) {
        // a second, thorough read of an older frame: not a live frame's latency
        lookLat.push(t - r.frame.capturedAt);
        return;
      }
      const seen = seenAt.get(key(r.frame)) ?? Number.NaN;
      lat.push(t - r.frame.capturedAt);
      parts.handoff.push(seen - r.frame.capturedAt);
      parts.wait.push(t - r.ms - seen);
      parts.infer.push(r.ms);
      reads += r.plates.length;
      if (r.plates.length > 0) readAt.set(key(r.frame), t);
    });
    let detections = 0;
    let withState = 0;
    bus2.on('detection', (d) => {
      detections++;
      if (d.reading.state) withState++;
      const t0 = readAt.get(key(d.frame));
      if (t0 !== undefined) parts.hit.push(now() - t0);
      readAt.delete(key(d.frame));
    });
    for (const s of [recognize, track, capture2]) await s.start();
    await new Promise((r) => setTimeout(r, 3000));
    lat.length = 0;
    // The hit path is kept from the start: when every frame is read, the demo's cars never leave
    // their tracks between loops, so new vehicles (and hits) only come in the first seconds.
    for (const a of [parts.handoff, parts.wait, parts.infer]) a.length = 0;
    const r0 = recognize.stats();
    const c0 = capture2.stats().reduce((s, c) => s + c.framesIn, 0);
    const d0 = capture2.stats().reduce((s, c) => s + c.dropped, 0);
    const cpu1 = process.cpuUsage();
    const ff1 = childFfmpegCpuS();
    const rss1 = process.memoryUsage().rss;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    await new Promise((r) => setTimeout(r, pipelineS * 1000));
    const cpu2 = process.cpuUsage(cpu1);
    loop.disable();
    const r1 = recognize.stats();
    const inN = capture2.stats().reduce((s, c) => s + c.framesIn, 0) - c0;
    const processed = r1.processed - r0.processed;
    lat.sort((a, b) => a - b);
    const dropN = capture2.stats().reduce((s, c) => s + c.dropped, 0) - d0;
    out['pipeline: fps decoded (both cameras)'] = (inN + dropN) / pipelineS;
    out['pipeline: fps handed to the main thread'] = inN / pipelineS;
    out['pipeline: frames dropped in capture (main busy)'] = dropN;
    out['pipeline: fps processed (both cameras)'] = processed / pipelineS;
    out['pipeline: fps processed, per camera (last 5 s)'] = capture2
      .stats()
      .map((c) => c.fpsProcessed.toFixed(1))
      .join(' / ');
    out['pipeline: frames dropped by recognize (newest kept)'] = r1.dropped - r0.dropped;
    out['pipeline: frame→read latency p50 ms'] = Math.round(pct(lat, 50));
    out['pipeline: frame→read latency p99 ms (goal < 100)'] = Math.round(pct(lat, 99));
    const p5099 = (a: number[]) => {
      const v = a.filter(Number.isFinite).sort((x, y) => x - y);
      return `${pct(v, 50).toFixed(1)} / ${pct(v, 99).toFixed(1)}`;
    };
    out['pipeline: where it goes, p50 / p99 ms: capture→main'] = p5099(parts.handoff);
    out['pipeline: … main→inference start (recognizer busy)'] = p5099(parts.wait);
    out['pipeline: … inference (worker round trip)'] = p5099(parts.infer);
    if (hot)
      out['pipeline: … hit path: read → detection with JPEGs'] =
        `${p5099(parts.hit)} (${parts.hit.length} hits)`;
    else
      out['pipeline: read → detection with JPEGs (a track settles when its vehicle leaves)'] =
        `${p5099(parts.hit)} (${parts.hit.length} detections)`;
    out['pipeline: plate reads / detections'] = `${reads} / ${detections}`;
    if (section.escalation === 'idle') {
      lookLat.sort((a, b) => a - b);
      out['pipeline: screen unsure / thorough looks (escalation: idle)'] =
        `${r1.unsure - r0.unsure} / ${r1.thorough - r0.thorough}`;
      out['pipeline: unsure frames offered, already looked, replaced, expired'] = [
        recognize.idle.stats.offered,
        recognize.idle.stats.alreadyLooked,
        recognize.idle.stats.replaced,
        recognize.idle.stats.expired,
      ].join(' / ');
      out['pipeline: sure frames offered / legend looks / states named (legend look)'] = [
        recognize.idle.stats.legendOffered,
        r1.legendLooks - r0.legendLooks,
        r1.statesNamed - r0.statesNamed,
      ].join(' / ');
      out['pipeline: detections naming a state'] = `${withState} of ${detections}`;
      out['pipeline: frame→thorough read p50 / p99 ms'] =
        `${Math.round(pct(lookLat, 50))} / ${Math.round(pct(lookLat, 99))}`;
    }
    out['pipeline: detections without images (frame no longer kept)'] = track.stats().imagesMissing;
    out['pipeline: event loop delay p50 / p99 / max ms'] = loopDelay(loop);
    out['pipeline: node CPU % of one core'] = (cpu2.user + cpu2.system) / 1e4 / pipelineS;
    out['pipeline: ffmpeg decoders CPU % of one core'] = ((childFfmpegCpuS() - ff1) * 100) / pipelineS;
    out['pipeline: RSS MB start → end'] = `${mb(rss1)} → ${mb(process.memoryUsage().rss)}`;
    for (const s of [capture2, track, recognize]) await s.stop();
  } finally {
    for (const s of servers) s.kill('SIGKILL');
  }
  return out;
}

/**
 * Kill the stream and bring it back `cycles` times: every cycle must go red then green, and RSS must
 * stay flat (no leaked workers, buffers or child processes).
 */
export async function benchCameraSoak(cycles = 8): Promise<Record<string, number | string>> {
  const port = await freePort();
  let server = serve(port);
  const bus = new Bus();
  const lights: string[] = [];
  bus.on('health', (h) => lights.push(h.light));
  const capture = new CaptureStage({
    bus,
    log,
    cameras: [
      cameraSchema.parse({
        id: 'soak',
        type: 'mjpeg',
        orientation: 'front',
        url: `http://127.0.0.1:${port}/`,
        width: 1280,
        height: 720,
        fps: FPS,
        noFrameTimeoutS: 1,
        restartMaxS: 2,
      }),
    ],
  });
  const until = async (light: string) => {
    const t0 = Date.now();
    while (lights.at(-1) !== light) {
      if (Date.now() - t0 > 20_000) throw new Error(`no ${light} within 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - t0;
  };
  const out: Record<string, number | string> = {};
  try {
    await capture.start();
    await until('green');
    await new Promise((r) => setTimeout(r, 2000));
    const rss0 = settledRss();
    const red: number[] = [];
    const green: number[] = [];
    for (let i = 0; i < cycles; i++) {
      server.kill('SIGKILL');
      red.push(await until('red'));
      server = serve(port);
      green.push(await until('green'));
      await new Promise((r) => setTimeout(r, 1000));
      if (process.env.ALPR_BENCH_VERBOSE)
        process.stdout.write(`cycle ${i + 1}: RSS ${mb(settledRss())} MB\n`);
    }
    const rss1 = settledRss();
    const s = capture.stats()[0]!;
    const mean = (a: number[]) => Math.round(a.reduce((x, y) => x + y, 0) / a.length);
    out['soak: kill → red → back → green cycles'] = `${cycles} of ${cycles}`;
    out['soak: ms to red after kill (mean / max)'] = `${mean(red)} / ${Math.max(...red)}`;
    out['soak: ms to green after restart (mean / max)'] = `${mean(green)} / ${Math.max(...green)}`;
    out['soak: ffmpeg restarts'] = s.restarts;
    out['soak: RSS MB before → after the cycles'] = `${mb(rss0)} → ${mb(rss1)}`;
  } finally {
    await capture.stop();
    server.kill('SIGKILL');
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [a, b, c] = process.argv.slice(2).map(Number);
  const figures = { ...(await benchCameras(a || 15, b || 30)), ...(await benchCameraSoak(c || 8)) };
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(52)} ${v}\n`);
}
