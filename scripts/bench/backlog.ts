/**
 * Backlog drain: a unit comes back online with `n` reads queued; how fast does it drain them to a
 * real mosquitto on loopback, and does its memory stay flat? The reference sink runs in its own
 * process (as the server would), so the RSS figures are the unit's alone, and counts loss and
 * duplicates. Figures only, never pass/fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/core/log.ts';
import { StoreDb } from '../../src/store/db.ts';
import { openDb } from '../../src/store/file.ts';
import { aesSealer, parseKey } from '../../src/store/seal.ts';
import { makeRead } from '../../test/helpers/sync-fixtures.ts';
import { readSinkCounts, startSyncRig } from '../../test/helpers/sync-rig.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

/**
 * Fills the store file with `n` queued reads through StoreDb.putRead (the very rows and outbox
 * entries the daemon writes), many per transaction: a million reads in a minute, not an hour.
 */
function bulkFill(file: string, keyFile: string, n: number): void {
  const db = new StoreDb(openDb(file, { synchronous: 'normal' }), aesSealer(parseKey(readFileSync(keyFile))));
  const now = Date.now();
  const chunk = db.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) db.putRead(makeRead(i), now);
  });
  for (let i = 0; i < n; i += 10_000) chunk(i, Math.min(n, i + 10_000));
  db.close();
}

export async function benchBacklog(
  n: number,
  opts: { bulk: boolean },
): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const rig = await startSyncRig({ prefix: 'alpr-bench-backlog-', sink: 'process' });
  try {
    let t0 = performance.now();
    if (opts.bulk) bulkFill(join(rig.dirs.data, 'reads.sqlite'), join(rig.dirs.creds, 'store.key'), n);
    const { store, sync } = await rig.stages({
      log: createLogger({ level: 'error' }),
      store: { synchronous: 'normal' },
      sync: { reconnectMinMs: 1000, reconnectMaxMs: 30_000 },
      startSync: false,
    });
    if (!opts.bulk) for (let i = 0; i < n; i++) store.putRead(makeRead(i));
    out[`backlog fill (${n} reads${opts.bulk ? ', bulk' : ''}) s`] = (performance.now() - t0) / 1000;
    if (store.outbox().depth() !== n) throw new Error(`backlog is ${store.outbox().depth()}, not ${n}`);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    let rssAt10 = 0;
    t0 = performance.now();
    await sync.start();
    for (let depth = n; depth > 0; depth = store.outbox().depth()) {
      await sleep(50);
      const rss = process.memoryUsage().rss;
      rssMax = Math.max(rssMax, rss);
      if (rssAt10 === 0 && depth <= n * 0.9) rssAt10 = rss;
    }
    const drainS = (performance.now() - t0) / 1000;
    const rssEnd = process.memoryUsage().rss;
    // The sink is behind the broker by its queue: wait until it has every read or stops moving.
    let got = 0;
    for (let still = 0; got < n && still < 100; ) {
      await sleep(100);
      const c = readSinkCounts(rig.sinkFile).byType['read'] ?? 0;
      still = c === got ? still + 1 : 0;
      got = c;
    }
    const endToEndS = (performance.now() - t0) / 1000;
    out['drain reads/s (acked by broker, no images)'] = Math.round(n / drainS);
    out['drain time s'] = drainS;
    out['end-to-end reads/s (stored by the sink)'] = Math.round(got / endToEndS);
    const c = readSinkCounts(rig.sinkFile);
    out['sink records / duplicates / conflicts'] = `${c.records} / ${c.duplicates} / ${c.conflicts}`;
    out['lost reads'] = n - (c.byType['read'] ?? 0);
    out['unit RSS at drain start MB'] = mb(rss0);
    out['unit RSS after 10% drained MB'] = mb(rssAt10);
    out['unit RSS peak while draining MB'] = mb(rssMax);
    out['unit RSS growth while draining MB'] = mb(rssMax - rss0);
    out['unit RSS at drain end MB'] = mb(rssEnd);
    out['unit heap used after drain MB'] = mb(process.memoryUsage().heapUsed);
  } finally {
    await rig.close();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.env.ALPR_BENCH_BACKLOG_READS ?? 1_000_000);
  const figures = await benchBacklog(n, { bulk: true });
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(46)} ${v}\n`);
}
