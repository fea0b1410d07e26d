import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/domain/errors.ts';
import { matchRead } from '../../src/hotlist/match.ts';
import { HotlistStore, type Layout } from '../../src/hotlist/store.ts';
import { hotlistEntry as entry } from '../helpers/hotlist-fixtures.ts';
import { aesSealer } from '../../src/domain/seal.ts';

/** Hot-list rows sealed as on a unit (a fixed test key). */
const TEST_SEALER = aesSealer(Buffer.alloc(32, 7), 'hotlist');

const dir = mkdtempSync(join(tmpdir(), 'alpr-hotlist-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const dbFile = () => join(dir, `h${seq++}.db`);

const opts = { maxSubs: 1, candidates: 5, now: 10_000 };
const plates = (s: HotlistStore, p: string, now = opts.now) =>
  matchRead({ plate: p, candidates: [] }, s, { ...opts, now }).map((m) => `${m.list}:${m.entryPlate}`);

describe.each(['without-rowid', 'without-rowid-sorted', 'rowid-index'] as Layout[])(
  'HotlistStore (%s)',
  (layout) => {
    it('applies versions atomically, newest only, and refuses older ones', async () => {
      const s = new HotlistStore(dbFile(), { layout, sealer: TEST_SEALER });
      expect(s.lists()).toEqual([]);
      expect(plates(s, 'ABC123')).toEqual([]);
      await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 100 }, [entry('ABC123'), entry('XYZ9')], {
        now: 200,
      });
      expect(s.list('SVS')).toMatchObject({ version: 1, issuedAt: 100, appliedAt: 200, entries: 2 });
      expect(plates(s, 'ABC123')).toEqual(['SVS:ABC123']);
      expect(plates(s, 'A8C123')).toEqual(['SVS:ABC123']);
      await s.applyVersion({ list: 'SVS', version: 2, issuedAt: 300 }, [entry('DEF456')], { batchRows: 1 });
      expect(plates(s, 'ABC123')).toEqual([]);
      expect(plates(s, 'DEF456')).toEqual(['SVS:DEF456']);
      await expect(s.applyVersion({ list: 'SVS', version: 2, issuedAt: 1 }, [])).rejects.toMatchObject({
        code: ErrorCodes.HOTLIST_VERSION,
      });
      await expect(s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1 }, [])).rejects.toMatchObject({
        code: ErrorCodes.HOTLIST_VERSION,
      });
      // A failing apply (entry of another list) keeps the live version.
      await expect(
        s.applyVersion({ list: 'SVS', version: 3, issuedAt: 1 }, [entry('A1', { list: 'SFR' })]),
      ).rejects.toThrow();
      expect(s.list('SVS')?.version).toBe(2);
      expect(plates(s, 'DEF456')).toEqual(['SVS:DEF456']);
      const tables = s.db
        .prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name LIKE 'e_%'")
        .pluck();
      expect(tables.get()).toBe(1);
      s.close();
    });

    it('matches across lists, wildcards and persists across reopen', async () => {
      const f = dbFile();
      const s = new HotlistStore(f, { layout, sealer: TEST_SEALER });
      await s.applyVersion({ list: 'SVS', version: 5, issuedAt: 1 }, [entry('ABC123'), entry('AB*12*')]);
      await s.applyVersion({ list: 'SPECIAL', version: 9, issuedAt: 1 }, [
        entry('ABC123', { list: 'SPECIAL', informational: true }),
      ]);
      expect(plates(s, 'ABC123').sort()).toEqual(['SPECIAL:ABC123', 'SVS:AB*12*', 'SVS:ABC123']);
      expect(plates(s, 'ABX12Q')).toEqual(['SVS:AB*12*']);
      s.close();
      const again = new HotlistStore(f, { layout, sealer: TEST_SEALER });
      expect(again.lists().map((l) => [l.name, l.version])).toEqual([
        ['SPECIAL', 9],
        ['SVS', 5],
      ]);
      expect(plates(again, 'ABX12Q')).toEqual(['SVS:AB*12*']);
      again.close();
    });

    it('never matches expired entries and purges them', async () => {
      const s = new HotlistStore(dbFile(), { layout, sealer: TEST_SEALER });
      await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1 }, [
        entry('OLD1', { expires: 5_000 }),
        entry('NEW1', { expires: 50_000 }),
        entry('KEEP1'),
      ]);
      expect(plates(s, 'OLD1')).toEqual([]);
      expect(plates(s, 'OLD1', 4_999)).toEqual(['SVS:OLD1']);
      expect(plates(s, 'NEW1')).toEqual(['SVS:NEW1']);
      expect(s.purgeExpired(10_000)).toBe(1);
      expect(s.list('SVS')?.entries).toBe(2);
      expect(plates(s, 'OLD1', 0)).toEqual([]);
      expect(s.purgeExpired(60_000)).toBe(1);
      expect(plates(s, 'KEEP1')).toEqual(['SVS:KEEP1']);
      s.close();
    });

    it('adds officer entries to LOCAL in place', () => {
      const s = new HotlistStore(dbFile(), { layout, sealer: TEST_SEALER });
      s.addEntry(entry('HOT1', { list: 'LOCAL' }), 1_000);
      s.addEntry(entry('HOT2', { list: 'LOCAL' }), 1_000);
      expect(s.list('LOCAL')).toMatchObject({ entries: 2 });
      expect(s.list('LOCAL')!.version).toBeGreaterThan(1_000);
      expect(plates(s, 'HOT2')).toEqual(['LOCAL:HOT2']);
      s.close();
    });
  },
);

/** Starts the child, waits until it is mid-apply, kills it with SIGKILL. */
async function killMidApply(db: string, layout: Layout, batch: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'helpers/hotlist-apply-child.ts'), db, layout, batch],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('MID')) {
        // Let a few more batches commit, so the new table exists on disk.
        setTimeout(() => {
          child.removeAllListeners('exit');
          child.on('exit', () => resolve());
          child.kill('SIGKILL');
        }, 300);
      }
    });
  });
}

describe.each([
  ['without-rowid', '1000'],
  ['without-rowid', 'single'],
  ['rowid-index', '1000'],
  ['without-rowid-sorted', '1000'],
] as [Layout, string][])('kill -9 in the middle of an apply (%s, batch %s)', (layout, batch) => {
  it('leaves the old version live and drops the half-built table', async () => {
    const f = dbFile();
    const s = new HotlistStore(f, { layout, sealer: TEST_SEALER });
    await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1 }, [entry('ABC123')]);
    s.close();
    await killMidApply(f, layout, batch);
    const after = new HotlistStore(f, { layout, sealer: TEST_SEALER });
    expect(after.list('SVS')).toMatchObject({ version: 1, entries: 1 });
    expect(plates(after, 'ABC123')).toEqual(['SVS:ABC123']);
    expect(plates(after, 'N000001')).toEqual([]);
    const tables = after.db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'e_%'")
      .pluck()
      .all();
    expect(tables).toEqual(['e_SVS_1']);
    expect(after.db.pragma('integrity_check', { simple: true })).toBe('ok');
    after.close();
  });
});

describe('kill -9 in the middle of a delta', () => {
  it('leaves the base version live and untouched', async () => {
    const f = dbFile();
    const s = new HotlistStore(f, { sealer: TEST_SEALER });
    await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1 }, [entry('ABC123')]);
    s.close();
    await killMidApply(f, 'rowid-index', 'delta');
    const after = new HotlistStore(f, { sealer: TEST_SEALER });
    expect(after.list('SVS')).toMatchObject({ version: 1, entries: 1 });
    expect(plates(after, 'ABC123')).toEqual(['SVS:ABC123']);
    expect(plates(after, 'N000001')).toEqual([]);
    expect(after.db.prepare('SELECT count(*) FROM e_SVS_1').pluck().get()).toBe(1);
    expect(after.db.pragma('integrity_check', { simple: true })).toBe('ok');
    after.close();
  });
});

describe('deltas in the store', () => {
  it('removes one equal row per remove, adds, keeps the table, refuses a wrong base atomically', async () => {
    const s = new HotlistStore(dbFile(), { sealer: TEST_SEALER });
    await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1 }, [
      entry('AAA111'),
      entry('AAA111'),
      entry('BBB222', { reason: 'other' }),
    ]);
    const n = s.applyDelta({ list: 'SVS', version: 2, baseVersion: 1, issuedAt: 5, expectedEntries: 3 }, [
      { op: '-', entry: entry('AAA111') },
      { op: '+', entry: entry('CCC333') },
    ]);
    expect(n).toBe(3);
    expect(s.list('SVS')).toMatchObject({ version: 2, issuedAt: 5, entries: 3 });
    expect(plates(s, 'AAA111')).toEqual(['SVS:AAA111']);
    expect(plates(s, 'CCC333')).toEqual(['SVS:CCC333']);
    // Equal in every column: BBB222 with another reason is not the row the delta names.
    expect(() =>
      s.applyDelta({ list: 'SVS', version: 3, baseVersion: 2, issuedAt: 6 }, [
        { op: '+', entry: entry('DDD444') },
        { op: '-', entry: entry('BBB222') },
      ]),
    ).toThrow(/does not hold/);
    expect(() =>
      s.applyDelta({ list: 'SVS', version: 3, baseVersion: 1, issuedAt: 6 }, [
        { op: '+', entry: entry('DDD444') },
      ]),
    ).toThrow(/does not apply to the live version 2/);
    expect(s.list('SVS')).toMatchObject({ version: 2, entries: 3 });
    expect(plates(s, 'DDD444')).toEqual([]);
    expect(s.near('DDD444', 0)).toEqual([]);
    s.close();
  });
});

describe('plate index', () => {
  it('matching through near() gives what the fold-key scan gives, candidates included', async () => {
    const s = new HotlistStore(dbFile(), { sealer: TEST_SEALER });
    const g = '0OD81IT7Z2BS5';
    let seed = 9;
    const r = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const word = () => Array.from({ length: 4 }, () => g[Math.floor(r() * g.length)]).join('');
    await s.applyVersion(
      { list: 'SVS', version: 1, issuedAt: 1 },
      Array.from({ length: 3000 }, (_, i) => entry(word(), { caseNumber: `C${i % 7}` })),
    );
    const plain = { byFold: (f: string) => s.byFold(f), wildcards: () => s.wildcards() };
    let hits = 0;
    for (let i = 0; i < 400; i++) {
      const read = { plate: word(), candidates: [{ text: word() }, { text: word() }] };
      // Equal-rank matches come in row order, which the sealed tags leave arbitrary: compare sets.
      const byPlate = (ms: ReturnType<typeof matchRead>) =>
        [...ms].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      const want = matchRead(read, plain, opts);
      expect(byPlate(matchRead(read, s, opts))).toEqual(byPlate(want));
      if (want.length > 0) hits++;
    }
    expect(hits).toBeGreaterThan(50);
    s.close();
  });

  it('grows past a low estimate, is stored with the version, and is rebuilt when missing', async () => {
    const f = dbFile();
    const s = new HotlistStore(f, { sealer: TEST_SEALER });
    const many = Array.from({ length: 20_000 }, (_, i) => entry(`Q${String(i).padStart(5, '0')}`));
    await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1, expectedEntries: 10 }, many);
    const bytes = () => s.db.prepare('SELECT sum(length(data)) FROM plate_index_parts').pluck().get();
    // 8 bytes per entry, in one sealed part (1 version byte, 12 IV, 16 tag).
    expect(bytes()).toBe(20_000 * 8 + 29);
    expect(plates(s, 'Q19999')).toEqual(['SVS:Q19999']);
    expect(plates(s, 'Q1999B')).toEqual(['SVS:Q19998']);
    expect(s.near('QX9999', 1)).toEqual([]);
    s.db.exec('DELETE FROM plate_index_parts');
    s.close();
    // An older database (fold-key filters, no plate index): the index is rebuilt by a scan.
    const again = new HotlistStore(f, { sealer: TEST_SEALER });
    expect(again.db.prepare('SELECT sum(length(data)) FROM plate_index_parts').pluck().get()).toBe(160_029);
    expect(plates(again, 'Q00042')).toEqual(['SVS:Q00042']);
    again.close();
  });
});
