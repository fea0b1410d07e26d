/**
 * Sync benchmark: store write rate (encrypted, per-read transactions as the bus delivers them) and
 * the drain rate of a 100,000-read backlog to a real mosquitto on loopback, received by the
 * reference sink (which also counts loss and duplicates). Figures only, never pass/fail.
 * ALPR_BENCH_SYNC_READS overrides the backlog size.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { storeSection } from '../../src/config/sections/store.ts';
import { syncSection } from '../../src/config/sections/sync.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import { uuidv7 } from '../../src/domain/ids.ts';
import type { Read } from '../../src/domain/types.ts';
import { StoreStage } from '../../src/store/index.ts';
import { SyncStage } from '../../src/sync/index.ts';
import type { SinkCounts } from '../../src/sync/sink.ts';
import { destroyMosquitto, startMosquitto } from '../../test/helpers/mosquitto.ts';

const UNIT = { id: 'bench-unit', agency: 'bench' };
const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function read(i: number): Read {
  const plate = `BN${String(i % 100000).padStart(5, '0')}`;
  return {
    id: uuidv7(),
    plate,
    confidence: 0.9,
    candidates: [
      { text: plate, confidence: 0.9 },
      { text: `${plate.slice(0, -1)}8`, confidence: 0.05 },
    ],
    cameraId: 'front',
    orientation: 'front',
    capturedAt: new Date().toISOString(),
    box: { x: 10, y: 20, w: 120, h: 40 },
    position: {
      lat: 47.6,
      lon: -122.3,
      speed: 10,
      course: 90,
      quality: 'gps',
      fixAgeMs: 200,
      deadReckoned: false,
    },
    operatorId: 'op-1',
    unitId: UNIT.id,
    modelVersion: 'bench',
  };
}

async function writeRate(dir: string, creds: string, sync: 'full' | 'normal', n: number): Promise<number> {
  const log = createLogger({ level: 'error' });
  const s = new StoreStage({
    bus: new Bus(),
    log,
    config: storeSection.parse({ synchronous: sync, file: `w-${sync}.sqlite` }),
    dataDir: dir,
    credentialsDir: creds,
  });
  await s.start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) s.putRead(read(i));
  const rate = n / ((performance.now() - t0) / 1000);
  await s.stop();
  return rate;
}

/** Images are kept as sealed blobs in SQLite (one file to encrypt, purge and back up). */
async function imageRate(dir: string, creds: string, n: number): Promise<number> {
  const s = new StoreStage({
    bus: new Bus(),
    log: createLogger({ level: 'error' }),
    config: storeSection.parse({ synchronous: 'full', file: 'img.sqlite' }),
    dataDir: dir,
    credentialsDir: creds,
  });
  await s.start();
  const reads = Array.from({ length: n }, (_, i) => read(i));
  for (const r of reads) s.putRead(r);
  const jpeg = randomBytes(30 * 1024);
  const t0 = performance.now();
  for (const r of reads) s.putImage(r.id, 'overview', jpeg);
  const rate = n / ((performance.now() - t0) / 1000);
  await s.stop();
  return rate;
}

export async function benchSync(): Promise<Record<string, number | string>> {
  const n = Number(process.env.ALPR_BENCH_SYNC_READS ?? 100_000);
  const root = mkdtempSync(join(tmpdir(), 'alpr-bench-sync-'));
  const data = join(root, 'data');
  const creds = join(root, 'creds');
  mkdirSync(data);
  mkdirSync(creds);
  writeFileSync(join(creds, 'store.key'), randomBytes(32));
  const out: Record<string, number | string> = {};
  const broker = await startMosquitto();
  const log = createLogger({ level: 'error' });
  try {
    out['store write reads/s (synchronous=full)'] = Math.round(await writeRate(data, creds, 'full', 2000));
    out['store write reads/s (synchronous=normal)'] = Math.round(
      await writeRate(data, creds, 'normal', 5000),
    );
    out['store image writes/s (30 KB JPEG blob, sealed, full)'] = Math.round(
      await imageRate(data, creds, 300),
    );

    const bus = new Bus();
    const store = new StoreStage({
      bus,
      log,
      config: storeSection.parse({ synchronous: 'normal' }),
      dataDir: data,
      credentialsDir: creds,
    });
    await store.start();
    let t0 = performance.now();
    for (let i = 0; i < n; i++) store.putRead(read(i));
    out[`backlog fill (${n} reads) s`] = (performance.now() - t0) / 1000;

    // The sink runs in its own process, as the server would: RSS below is the unit's alone.
    const sinkDb = join(root, 'sink.sqlite');
    const sink = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli.ts'),
        'central-sink',
        '--url',
        broker.url,
        '--db',
        sinkDb,
        '--report-every',
        '0',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let sinkOut = '';
    let sinkErr = '';
    sink.stdout.on('data', (d: Buffer) => {
      sinkOut += d.toString();
    });
    sink.stderr.on('data', (d: Buffer) => {
      sinkErr += d.toString();
    });
    const sinkExit = new Promise<void>((r) => sink.once('exit', () => r()));
    for (let i = 0; i < 600 && !sinkErr.includes('subscribed'); i++) await sleep(50);
    if (!sinkErr.includes('subscribed')) throw new Error(`central-sink did not start: ${sinkErr}`);
    const sync = new SyncStage({
      bus,
      log,
      config: syncSection.parse({ type: 'mqtt', url: broker.url }),
      unit: UNIT,
      outbox: store.outbox(),
    });
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    t0 = performance.now();
    await sync.start();
    while (store.outbox().depth() > 0) {
      await sleep(50);
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    const drainS = (performance.now() - t0) / 1000;
    await sync.stop();
    await store.stop();
    // Let the sink store what the broker acked (it is behind by at most its receive window).
    const target = n;
    for (let i = 0; i < 600; i++) {
      const db = new Database(sinkDb, { readonly: true });
      const got = db.prepare("SELECT count(*) FROM records WHERE type = 'read'").pluck().get() as number;
      db.close();
      if (got >= target) break;
      await sleep(50);
    }
    const endToEndS = (performance.now() - t0) / 1000;
    sink.kill('SIGTERM');
    await sinkExit;
    const c = JSON.parse(sinkOut.trim().split('\n').at(-1) ?? '{}') as SinkCounts;
    out['drain reads/s (acked by broker, no images)'] = Math.round(n / drainS);
    out['end-to-end reads/s (stored by sink)'] = Math.round((c.byType['read'] ?? 0) / endToEndS);
    out['sink records / duplicates / conflicts'] = `${c.records} / ${c.duplicates} / ${c.conflicts}`;
    out['lost reads'] = n - (c.byType['read'] ?? 0);
    out['unit RSS growth while draining MB'] = Math.round((rssMax - rss0) / 1e5) / 10;
    out['unit heap used after drain MB'] = Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
  } finally {
    await destroyMosquitto(broker);
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchSync();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(46)} ${v}\n`);
}
