/**
 * Child process of the hot-list benchmark, so that import and matching are each measured in a
 * fresh process (RSS as the unit would see it, not the bench's own CSV generator).
 *   import <db> <csv> <entries> <layout> <mode>   → JSON { importS, cpuS, maxRssMb, entries }
 *   match <db> <exact> <look-alike> <miss1> <miss5>  (read-set JSON files)
 *                                                 → JSON { rssOpenMb, rssMb, maxRssMb, sets }
 *   baseline                                      → JSON { rssMb }   (node + tsx, no store)
 * Prints one JSON line on stdout.
 */
import { readFileSync } from 'node:fs';
import { csvEntries, fileLines } from '../../src/hotlist/csv.ts';
import { matchRead } from '../../src/hotlist/match.ts';
import { HotlistStore, type Layout } from '../../src/hotlist/store.ts';
import { aesSealer } from '../../src/domain/seal.ts';

/** Hot-list rows sealed as on a unit (a fixed test key). */
const TEST_SEALER = aesSealer(Buffer.alloc(32, 7), 'hotlist');

const mb = (b: number) => Math.round(b / 1048576);
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

export interface ReadSet {
  name: string;
  reads: { plate: string; candidates: { text: string }[] }[];
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Times every read `passes` times (passes interleaved, so one read's repeats are far apart) and
 * keeps each read's median: a read that lost the CPU to another process once does not count as
 * slow. The raw (first-pass) p99 is reported too.
 */
function timeSet(store: HotlistStore, set: ReadSet, passes: number) {
  const opts = { maxSubs: 1, candidates: 5, now: Date.now() };
  const n = set.reads.length;
  const t = Array.from({ length: passes }, () => new Float64Array(n));
  let hits = 0;
  for (const r of set.reads.slice(0, 500)) matchRead(r, store, opts); // warm-up
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < n; i++) {
      const r = set.reads[i]!;
      const t0 = process.hrtime.bigint();
      const m = matchRead(r, store, opts);
      t[p]![i] = Number(process.hrtime.bigint() - t0) / 1000;
      if (p === 0 && m.length > 0) hits++;
    }
  }
  const med = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xs = t.map((a) => a[i]!).sort((a, b) => a - b);
    med[i] = xs[Math.floor(xs.length / 2)]!;
  }
  med.sort();
  const raw = t[0]!.slice().sort();
  return {
    name: set.name,
    reads: n,
    hitRate: hits / n,
    p50: pct(med, 50),
    p99: pct(med, 99),
    p999: pct(med, 99.9),
    rawP99: pct(raw, 99),
  };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'import') {
  const [db, csv, entries, layout, how] = args as [string, string, string, Layout, string];
  const store = new HotlistStore(db, { layout, sealer: TEST_SEALER });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const n = await store.applyVersion(
    { list: 'SVS', version: 1, issuedAt: Date.now(), expectedEntries: Number(entries) },
    csvEntries(fileLines(csv), { list: 'SVS', now: Date.now(), source: 'bench' }, () => {}),
    how === 'single' ? { batchRows: Number.POSITIVE_INFINITY } : {},
  );
  const importS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  process.stdout.write(
    `${JSON.stringify({ importS, cpuS: (cpu.user + cpu.system) / 1e6, maxRssMb: maxRssMb(), entries: n })}\n`,
  );
} else if (mode === 'match') {
  const [db, ...readFiles] = args as [string, ...string[]];
  const gc = (globalThis as { gc?: () => void }).gc;
  const store = new HotlistStore(db, { sealer: TEST_SEALER });
  gc?.();
  const rssOpenMb = mb(process.memoryUsage().rss);
  const out = [];
  let rssMb = 0;
  const load = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as ReadSet;
  // Random plates sometimes are on a dense synthetic list (through a look-alike): the miss sets
  // keep true misses only, so that "miss" means what it says.
  const misses = (set: ReadSet) => {
    const opts = { maxSubs: 1, candidates: 5, now: Date.now() };
    return { ...set, reads: set.reads.filter((r) => matchRead(r, store, opts).length === 0) };
  };
  const [exactF, looksF, miss1F, miss5F] = readFiles as [string, string, string, string];
  const sets: (() => ReadSet)[] = [
    () => load(exactF),
    () => load(looksF),
    () => misses(load(miss1F)),
    () => misses(load(miss5F)),
    () => {
      // A patrol shift: 1 read in 200 is on a list, 1 in 1,000 only through a look-alike.
      const m = misses(load(miss5F)).reads;
      const exact = load(exactF).reads;
      const looks = load(looksF).reads;
      const reads = m.map((r, i) => (i % 200 === 0 ? exact[i]! : i % 1000 === 500 ? (looks[i] ?? r) : r));
      return { name: 'patrol mix (0.6% hits)', reads };
    },
  ];
  // One read set in memory at a time: the bench's own data should not count as the store's RSS.
  for (const make of sets) {
    gc?.();
    out.push(timeSet(store, make(), 3));
    // After a GC, with the set dropped: what the store and matching keep, not the harness's garbage.
    gc?.();
    rssMb = Math.max(rssMb, mb(process.memoryUsage().rss));
    if (process.env.ALPR_BENCH_DEBUG) process.stderr.write(`${JSON.stringify(process.memoryUsage())}\n`);
  }
  store.close();
  process.stdout.write(`${JSON.stringify({ rssOpenMb, rssMb, maxRssMb: maxRssMb(), sets: out })}\n`);
} else if (mode === 'baseline') {
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`${JSON.stringify({ rssMb: mb(process.memoryUsage().rss) })}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
