import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hit, Read } from '../../src/domain/types.ts';
import { configSchema } from '../../src/config/schema.ts';
import { aesSealer } from '../../src/domain/seal.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import { StoreStage } from '../../src/store/index.ts';
import { pipelineRead, storageBus } from '../helpers/storage-rig.ts';
import { captureLog, storeConfig, tempDirs } from '../helpers/sync-fixtures.ts';

const dirs = tempDirs('alpr-full-');
const mnt = join(dirs.root, 'small');
mkdirSync(mnt);
let mounted = false;
try {
  // A real full disk: a 30 MB tmpfs (needs root or CAP_SYS_ADMIN; skipped otherwise).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=30m', 'tmpfs', mnt], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  console.warn(
    `store-diskfull: SKIPPED, cannot mount a 30 MB tmpfs (needs root or CAP_SYS_ADMIN): ${(err as Error).message.split('\n')[0]}`,
  );
}

let open: StoreStage | null = null;
afterAll(async () => {
  await open?.stop();
  if (mounted) execFileSync('umount', ['-l', mnt]);
  rmSync(dirs.root, { recursive: true, force: true });
});

/** Fills the filesystem with another file, as another program would; returns its path. */
function fillDisk(dir: string): string {
  const file = join(dir, 'other-program.bin');
  const fd = openSync(file, 'w');
  for (const size of [1 << 20, 64 << 10, 4 << 10]) {
    const chunk = Buffer.alloc(size, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
  }
  closeSync(fd);
  return file;
}

describe.skipIf(!mounted)('store on a full disk (30 MB tmpfs, server unreachable)', () => {
  it('loses no hit, drops reads only past the memory hold, and is green on the first good write', async () => {
    const { bus, health } = storageBus();
    const cap = captureLog();
    // Policy under test: hold at most 300 records in memory; past that the oldest read goes.
    const holdMaxRecords = 300;
    const store = new StoreStage({
      bus,
      log: cap.log,
      config: storeConfig({ minFreeMb: 1, reserveMb: 2, holdMaxRecords, synchronous: 'full' }),
      dataDir: mnt,
      credentialsDir: dirs.creds,
      retryMs: 0,
    });
    open = store;
    await store.start();
    const port = store.outbox();
    const hits: Hit[] = [];
    const reads: Read[] = [];
    /** One read through the store as the reads pipeline sends it: every 10th raises a hit. */
    const readOne = (i: number): { read: boolean; hits: number } => {
      const added = pipelineRead(store, bus, i, reads, hits);
      const r = reads.at(-1)!;
      store.putImage(r.id, 'plate', randomBytes(2_000));
      store.putImage(r.id, 'overview', randomBytes(15_000));
      return added;
    };

    // Earlier driving: 500 reads with images, the first 350 uploaded (synced), the rest not.
    for (let i = 0; i < 500; i++) readOne(i);
    const first = port.peek(10_000).filter((m) => m.kind === 'read' || m.kind === 'hit');
    const earlyUnsynced = reads.slice(350).map((r) => r.id);
    const syncedIds = new Set(reads.slice(0, 350).map((r) => r.id));
    port.ack(first.filter((m) => syncedIds.has(m.kind === 'hit' ? m.hit.readId : m.id)).map((m) => m.seq));
    expect(existsSync(join(mnt, '.alpr-reserve'))).toBe(true);

    // Another program fills the disk; the unit keeps reading with the server down.
    const filler = fillDisk(mnt);
    let i = 500;
    for (; i < 40_000 && store.heldStats().droppedReads < 100; i++) readOne(i);
    const full = store.heldStats();
    console.log(
      `store-diskfull: ${i - 500} reads (${hits.length} hits in all) on a full disk; held ${full.heldReads} reads + ${full.heldHits} hits, dropped ${full.droppedReads} reads, ${full.droppedHits} hits`,
    );
    expect(full.droppedReads).toBeGreaterThanOrEqual(100); // the disk really stayed full
    expect(full.droppedHits).toBe(0);
    expect(health.some((h) => h.light === 'red')).toBe(true);
    // The policy's order: synced images, synced reads, then overviews of unsynced reads.
    const purges = cap
      .lines()
      .flatMap((l) => (String(l['msg']).startsWith('purged') ? [String(l['msg'])] : []));
    expect(purges.slice(0, 3)).toEqual([
      'purged images',
      'purged reads',
      'purged overview images of unsynced reads',
    ]);

    // An acknowledgement that the full disk may refuse: the queue depth still matches the table.
    const some = port.peek(50).map((m) => m.seq);
    try {
      port.ack(some);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('SQLITE_FULL');
    }
    const counted = () =>
      (store as unknown as { db: { db: Database.Database } }).db.db
        .prepare('SELECT count(*) FROM outbox')
        .pluck()
        .get() as number;
    expect(port.depth()).toBe(counted());

    // Space comes back: the next read is the first good write and turns the light green at once.
    rmSync(filler);
    const before = health.length;
    expect(readOne(i++).read).toBe(true);
    expect(health.slice(before).map((h) => h.light)[0]).toBe('green');
    expect(store.heldStats()).toMatchObject({ heldReads: 0, heldHits: 0, droppedHits: 0 });
    expect(statSync(join(mnt, '.alpr-reserve')).size).toBe(2 * 1024 * 1024);
    expect(port.depth()).toBe(counted());
    await store.stop();

    // Every hit is stored; reads are missing only as many as the hold dropped, none of the
    // unsynced ones stored before the disk filled; the file is sound.
    const db = new Database(join(mnt, 'reads.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const hitIds = new Set(db.prepare('SELECT id FROM hits').pluck().all() as string[]);
    const readIds = new Set(db.prepare('SELECT id FROM reads').pluck().all() as string[]);
    db.close();
    // Hits of reads the server already has may go with them (synced data is purged first).
    const hitsLost = hits.filter((h) => !hitIds.has(h.id) && !syncedIds.has(h.readId)).length;
    const readsLost = reads.filter((r) => !readIds.has(r.id) && !syncedIds.has(r.id)).length;
    console.log(
      `store-diskfull: hits lost ${hitsLost} of ${hits.length}; unsynced reads lost ${readsLost} of ${reads.length - syncedIds.size} (the hold's ${full.droppedReads})`,
    );
    expect(hitsLost).toBe(0);
    expect(readsLost).toBe(full.droppedReads);
    expect(earlyUnsynced.every((id) => readIds.has(id))).toBe(true);
  });

  it('starts on a disk filled while the unit was off: gives up its reserve to open the store, loses nothing', async () => {
    const dir = join(mnt, 'parked');
    const cap = captureLog();
    const config = storeConfig({ minFreeMb: 1, reserveMb: 2, synchronous: 'full' });
    const parked = () =>
      new StoreStage({
        bus: storageBus().bus,
        log: cap.log,
        config,
        dataDir: dir,
        credentialsDir: dirs.creds,
      });
    const first = parked();
    await first.start();
    const reads: Read[] = [];
    for (let i = 0; i < 20; i++) pipelineRead(first, storageBus().bus, 100_000 + i, reads, []);
    await first.stop();
    expect(statSync(join(dir, '.alpr-reserve')).size).toBe(2 * 1024 * 1024);
    // parked: another program fills the card to the last byte
    const filler = fillDisk(mnt);
    try {
      const again = parked();
      open = again;
      await again.start();
      expect(cap.text()).toContain('store did not open on a full disk: reserve released, trying again');
      expect(existsSync(join(dir, '.alpr-reserve'))).toBe(false);
      // every read stored before is there, and a hit still has room
      expect(again.outbox().depth()).toBe(20);
      await again.stop();
      open = null;
    } finally {
      rmSync(filler);
    }
  });

  it('refuses a hot list too big for the card before writing a row, and keeps the live one', async () => {
    const dir = join(mnt, 'lists');
    mkdirSync(dir, { recursive: true });
    const cap = captureLog();
    const stage = new HotlistStage({
      bus: storageBus().bus,
      log: cap.log,
      config: configSchema.shape.hotlist.parse({}),
      sealer: aesSealer(Buffer.alloc(32, 7), 'hotlist'),
      dbPath: join(dir, 'hotlist.sqlite'),
      keepFreeBytes: 2 * 2 ** 20,
    });
    await stage.start();
    try {
      const entries = (n: number, prefix: string) =>
        Array.from({ length: n }, (_, i) => ({
          list: 'SVS',
          plate: `${prefix}${String(i).padStart(5, '0')}`,
          raw: `${prefix}${String(i).padStart(5, '0')}`,
          state: null,
          priority: 1,
          caseNumber: null,
          xref: null,
          reason: null,
          officerName: null,
          officerPhone: null,
          synopsis: null,
          informational: false,
          shareable: true,
          source: 'test',
          created: 1,
          expires: null,
        }));
      const meta = (version: number, n: number) => ({
        list: 'SVS',
        version,
        issuedAt: version,
        source: 'test',
        expectedEntries: n,
      });
      expect(await stage.applyVersion(meta(1, 500), entries(500, 'A'))).toBe(500);
      const size = statSync(join(dir, 'hotlist.sqlite')).size;
      // a state list of 200,000 entries on a card with under 30 MB free
      let consumed = 0;
      const many = (function* () {
        for (const e of entries(200_000, 'B')) {
          consumed++;
          yield e;
        }
      })();
      await expect(stage.applyVersion(meta(2, 200_000), many)).rejects.toMatchObject({
        code: 'ALPR_E_HOTLIST',
        message: expect.stringMatching(
          /^not enough free disk for SVS v2 \(200000 entries\): about 77 MB needed besides the 2 MB kept free, \d+ MB free; the live list is kept$/,
        ),
      });
      expect(consumed).toBe(0);
      expect(stage.listVersion('SVS')).toBe(1);
      expect(statSync(join(dir, 'hotlist.sqlite')).size).toBe(size);
    } finally {
      await stage.stop();
    }
  });
});
