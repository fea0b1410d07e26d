/**
 * A card that refuses writes for a while (an SD card's transient I/O error, a filesystem gone
 * read-only): the store's files are made immutable (`chattr +i`, real EPERM from the kernel, which
 * SQLite reports as a disk I/O error) while reads and hits keep coming. Nothing may be lost: reads
 * and hits are held in memory and stored once the files take writes again; the storage light is red
 * meanwhile, naming the error, and green again after. Needs root and a filesystem with file
 * attributes (ext4); skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hit, Read } from '../../src/domain/types.ts';
import { StoreStage } from '../../src/store/index.ts';
import { pipelineRead, storageBus } from '../helpers/storage-rig.ts';
import { captureLog, storeConfig, tempDirs } from '../helpers/sync-fixtures.ts';

const dirs = tempDirs('alpr-ioerr-');
const probe = join(dirs.root, 'attr-probe');
let canChattr = false;
try {
  writeFileSync(probe, 'x');
  execFileSync('chattr', ['+i', probe], { stdio: 'pipe' });
  execFileSync('chattr', ['-i', probe], { stdio: 'pipe' });
  canChattr = true;
} catch (err) {
  console.warn(
    `store-ioerror: SKIPPED, cannot set file attributes here (needs root and ext4-like files): ${(err as Error).message.split('\n')[0]}`,
  );
}
const files = ['reads.sqlite', 'reads.sqlite-wal'].map((f) => join(dirs.data, f));
const attr = (flag: '+i' | '-i') => {
  for (const f of files) if (existsSync(f)) execFileSync('chattr', [flag, f], { stdio: 'pipe' });
};

let open: StoreStage | null = null;
afterAll(async () => {
  if (canChattr) attr('-i');
  await open?.stop();
  rmSync(dirs.root, { recursive: true, force: true });
});

describe.skipIf(!canChattr)('store files that refuse writes for a while (chattr +i)', () => {
  it('holds reads and hits through the I/O errors and stores every one once writes work again', async () => {
    const { bus, health } = storageBus();
    const cap = captureLog();
    const store = new StoreStage({
      bus,
      log: cap.log,
      config: storeConfig({ synchronous: 'full' }),
      dataDir: dirs.data,
      credentialsDir: dirs.creds,
      retryMs: 100,
      // the disk checks run meanwhile: room on the disk must not turn the light green
      diskCheckMs: 50,
    });
    open = store;
    await store.start();
    const reads: Read[] = [];
    const hits: Hit[] = [];
    const readOne = (i: number) => pipelineRead(store, bus, i, reads, hits);
    for (let i = 1; i <= 20; i++) expect(readOne(i).read).toBe(true);

    attr('+i');
    for (let i = 21; i <= 60; i++) expect(readOne(i).read).toBe(false);
    expect(store.heldStats()).toMatchObject({ heldReads: 36, heldHits: 4, droppedReads: 0, droppedHits: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(health.at(-1)?.light).toBe('red');
    const red = health.filter((h) => h.light === 'red');
    expect(red).toHaveLength(1);
    expect(red[0]!.reason).toMatch(
      /^cannot write to the store \(.*\): reads and hits held in memory, retried$/,
    );
    // one line for the spell, not a stack per read
    expect(
      cap
        .lines()
        .filter((l) => l['msg'] === 'cannot write to the store: reads and hits held in memory and retried'),
    ).toHaveLength(1);

    attr('-i');
    const until = Date.now() + 10_000;
    while (store.heldStats().heldReads + store.heldStats().heldHits > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(store.heldStats()).toMatchObject({ heldReads: 0, heldHits: 0 });
    expect(health.at(-1)).toMatchObject({ light: 'green', reason: 'storing again after a write error' });
    const db = new Database(files[0]!, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM reads').pluck().get()).toBe(reads.length);
      expect(db.prepare('SELECT count(*) FROM hits').pluck().get()).toBe(hits.length);
      expect(db.prepare("SELECT count(*) FROM outbox WHERE kind IN ('read', 'hit')").pluck().get()).toBe(
        reads.length + hits.length,
      );
    } finally {
      db.close();
    }
  });
});
