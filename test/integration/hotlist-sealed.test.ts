/**
 * hotlist.sqlite at rest: every personal field sealed, plates found by keyed tags; a database
 * written in clear by an earlier release is sealed at open, atomically, and rewritten so that no
 * clear text is left in the file; another key is refused before anything is read.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { aesSealer, plainSealer } from '../../src/domain/seal.ts';
import { foldKey } from '../../src/hotlist/confusion.ts';
import type { HotlistEntry } from '../../src/hotlist/match.ts';
import { HotlistStore } from '../../src/hotlist/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpr-hotlist-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = aesSealer(Buffer.alloc(32, 7), 'hotlist');
const SECRET_TEXT = [
  '7ABC123',
  '5XYZ999',
  'armed robbery suspect',
  'seen near the depot',
  '555-0142',
  'Ofc. Rivera',
];

const entry = (plate: string, over: Partial<HotlistEntry> = {}): HotlistEntry => ({
  list: 'SVS',
  plate,
  raw: plate,
  state: 'CA',
  priority: 1,
  caseNumber: 'C-77',
  xref: null,
  reason: 'armed robbery suspect',
  officerName: 'Ofc. Rivera',
  officerPhone: '555-0142',
  synopsis: 'seen near the depot',
  informational: false,
  shareable: true,
  source: 'SVS',
  created: 1,
  expires: null,
  ...over,
});

/** The database file and its WAL, as a thief would copy them. */
function fileBytes(f: string): Buffer {
  return Buffer.concat([f, `${f}-wal`].filter(existsSync).map((p) => readFileSync(p)));
}

/** A hotlist.sqlite as the earlier releases wrote it: every field a clear column. */
function clearDatabase(f: string): void {
  const db = new Database(f);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE lists(name TEXT PRIMARY KEY, version INTEGER NOT NULL, issued_at INTEGER NOT NULL,
    applied_at INTEGER NOT NULL, entries INTEGER NOT NULL, source TEXT, tbl TEXT NOT NULL) STRICT;
    CREATE TABLE plate_index_parts(tbl TEXT NOT NULL, part INTEGER NOT NULL, format TEXT NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY(tbl, part)) STRICT;
    CREATE TABLE "e_SVS_3"(folded TEXT NOT NULL, n INTEGER NOT NULL, wild INTEGER NOT NULL, plate TEXT NOT NULL,
    raw TEXT NOT NULL, state TEXT, priority INTEGER NOT NULL, case_number TEXT, xref TEXT, reason TEXT,
    officer_name TEXT, officer_phone TEXT, synopsis TEXT, informational INTEGER NOT NULL,
    shareable INTEGER NOT NULL, source TEXT, created INTEGER NOT NULL, expires INTEGER);
    CREATE INDEX "e_SVS_3_f" ON "e_SVS_3"(folded, plate);`);
  const ins = db.prepare(`INSERT INTO "e_SVS_3" VALUES (?, ?, ?, ?, ?, 'CA', 1, 'C-77', NULL,
    'armed robbery suspect', 'Ofc. Rivera', '555-0142', 'seen near the depot', 0, 1, 'SVS', 1, NULL)`);
  ['7ABC123', '5XYZ999', '7AB*123'].forEach((p, n) => {
    ins.run(foldKey(p), n, p.includes('*') ? 1 : 0, p, p);
  });
  db.prepare("INSERT INTO lists VALUES ('SVS', 3, 1, 1, 3, 'SVS', 'e_SVS_3')").run();
  db.prepare("INSERT INTO plate_index_parts VALUES ('e_SVS_3', 0, 'pi1:old', ?)").run(Buffer.from('7ABC123'));
  db.close();
}

describe('hotlist.sqlite sealed at rest', () => {
  it('after an import the file shows no plate, reason, synopsis, name or phone; matching works', async () => {
    const f = join(dir, 'new.sqlite');
    const s = new HotlistStore(f, { sealer: KEY });
    await s.applyVersion({ list: 'SVS', version: 1, issuedAt: 1 }, [entry('7ABC123'), entry('5XYZ999')]);
    expect(s.near('7ABC123', 0).map((e) => [e.plate, e.reason, e.officerPhone, e.synopsis])).toEqual([
      ['7ABC123', 'armed robbery suspect', '555-0142', 'seen near the depot'],
    ]);
    expect(s.near('7A8C123', 1).map((e) => e.plate)).toEqual(['7ABC123']);
    s.close();
    const bytes = fileBytes(f);
    for (const t of SECRET_TEXT) expect(bytes.includes(t), t).toBe(false);
  });

  it('another key, or no key, is refused with ALPR_E_HOTLIST_KEY before anything is read', () => {
    const f = join(dir, 'new.sqlite');
    const other = aesSealer(Buffer.alloc(32, 8), 'hotlist');
    expect(() => new HotlistStore(f, { sealer: other })).toThrow(
      expect.objectContaining({
        code: 'ALPR_E_HOTLIST_KEY',
        message: expect.stringMatching(/sealed with another key/),
      }),
    );
    expect(() => new HotlistStore(f, { sealer: plainSealer('hotlist') })).toThrow(
      expect.objectContaining({ code: 'ALPR_E_HOTLIST_KEY' }),
    );
    // The store key's other sub-keys (reads, the page) are other keys too.
    expect(() => new HotlistStore(f, { sealer: aesSealer(Buffer.alloc(32, 7), 'store') })).toThrow(
      expect.objectContaining({ code: 'ALPR_E_HOTLIST_KEY' }),
    );
    const s = new HotlistStore(f, { sealer: KEY });
    expect(s.list('SVS')?.entries).toBe(2);
    s.close();
  });

  it('a database written in clear is sealed at open, keeps its lists, and leaves no clear text', () => {
    const f = join(dir, 'old.sqlite');
    clearDatabase(f);
    expect(fileBytes(f).includes('armed robbery suspect')).toBe(true);
    const s = new HotlistStore(f, { sealer: KEY });
    expect(s.sealedAtOpen).toBe(1);
    expect(s.list('SVS')).toMatchObject({ version: 3, entries: 3 });
    expect(s.near('7ABC123', 0).map((e) => [e.plate, e.caseNumber, e.officerName])).toEqual([
      ['7ABC123', 'C-77', 'Ofc. Rivera'],
    ]);
    expect(s.wildcards().map((e) => e.plate)).toEqual(['7AB*123']);
    s.close();
    const bytes = fileBytes(f);
    for (const t of SECRET_TEXT) expect(bytes.includes(t), t).toBe(false);
    const again = new HotlistStore(f, { sealer: KEY });
    expect(again.sealedAtOpen).toBe(0);
    expect(again.near('5XYZ999', 0)).toHaveLength(1);
    again.close();
  });
});
