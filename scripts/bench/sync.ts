/**
 * Sync benchmark: store write rate (encrypted, per-read transactions as the bus delivers them) and
 * the drain rate of a 100,000-read backlog to a real mosquitto on loopback, received by the
 * reference sink (which also counts loss and duplicates). Figures only, never pass/fail.
 * ALPR_BENCH_SYNC_READS overrides the backlog size; the `sync-backlog` entry drains 1,000,000.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import { StoreStage } from '../../src/store/index.ts';
import { aesSealer, parseKey } from '../../src/store/seal.ts';
import { makeRead as read, storeConfig, tempDirs } from '../../test/helpers/sync-fixtures.ts';
import { benchBacklog } from './backlog.ts';

type Dirs = ReturnType<typeof tempDirs>;

function openStore(dirs: Dirs, over: Record<string, unknown>): StoreStage {
  return new StoreStage({
    bus: new Bus(),
    log: createLogger({ level: 'error' }),
    config: storeConfig({ reserveMb: 0, ...over }),
    dataDir: dirs.data,
    credentialsDir: dirs.creds,
  });
}

async function writeRate(dirs: Dirs, sync: 'full' | 'normal', n: number): Promise<number> {
  const s = openStore(dirs, { synchronous: sync, file: `w-${sync}.sqlite` });
  await s.start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) s.putRead(read(i));
  const rate = n / ((performance.now() - t0) / 1000);
  await s.stop();
  return rate;
}

/** Images are kept as sealed blobs in SQLite (one file to encrypt, purge and back up). */
async function imageRate(dirs: Dirs, n: number): Promise<number> {
  const s = openStore(dirs, { synchronous: 'full', file: 'img.sqlite' });
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

/**
 * The alternative the store did not take, for comparison: one sealed file per image, fsynced
 * (as durable as a synchronous=full commit), plus the directory entry.
 */
function imageFileRate(dirs: Dirs, n: number): number {
  const sealer = aesSealer(parseKey(readFileSync(join(dirs.creds, 'store.key'))));
  const dir = join(dirs.data, 'images');
  mkdirSync(dir);
  const jpeg = randomBytes(30 * 1024);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const fd = openSync(join(dir, `${i}.jpg.sealed`), 'w');
    writeSync(fd, sealer.seal(jpeg, `images:${i}:overview`));
    fsyncSync(fd);
    closeSync(fd);
  }
  const dfd = openSync(dir, 'r');
  fsyncSync(dfd);
  closeSync(dfd);
  return n / ((performance.now() - t0) / 1000);
}

export async function benchSync(): Promise<Record<string, number | string>> {
  const n = Number(process.env.ALPR_BENCH_SYNC_READS ?? 100_000);
  const dirs = tempDirs('alpr-bench-sync-');
  const out: Record<string, number | string> = {};
  try {
    out['store write reads/s (synchronous=full)'] = Math.round(await writeRate(dirs, 'full', 2000));
    out['store write reads/s (synchronous=normal)'] = Math.round(await writeRate(dirs, 'normal', 5000));
    out['store image writes/s (30 KB JPEG blob, sealed, full)'] = Math.round(await imageRate(dirs, 300));
    out['image file writes/s (30 KB, sealed, fsync; not used)'] = Math.round(imageFileRate(dirs, 300));
  } finally {
    rmSync(dirs.root, { recursive: true, force: true });
  }
  // The backlog is filled read by read, as the bus delivers them (see backlog.ts for 1,000,000).
  return { ...out, ...(await benchBacklog(n, { bulk: false })) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchSync();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(46)} ${v}\n`);
}
