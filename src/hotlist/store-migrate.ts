/**
 * Opening a hot-list database: its key check, and the one-time move of a database written in
 * clear (plate, reason, synopsis, officer's phone… as text columns) to sealed rows.
 */
import type Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Sealer } from '../domain/seal.ts';
import { PlateIndexBuilder } from './plate-index.ts';
import type { ListRow, RowCodec } from './rows.ts';
import { savePlateIndex } from './store-index.ts';
import { createIndexes, createTable } from './store-tables.ts';
import type { Layout } from './store.ts';

const CHECK = Buffer.from('alpr hot-list key check');
const CHECK_AAD = 'hotlist/key-check';

/**
 * Refuses a database sealed with another key (a card from another unit, a wrong store key) before
 * anything is read or written; records the key check in a new one.
 */
export function checkKey(db: Database.Database, sealer: Sealer, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS hotlist_meta(k TEXT PRIMARY KEY, v BLOB NOT NULL) STRICT');
  const v = db.prepare("SELECT v FROM hotlist_meta WHERE k = 'key-check'").pluck().get() as
    | Buffer
    | undefined;
  if (v === undefined) {
    db.prepare("INSERT INTO hotlist_meta VALUES ('key-check', ?)").run(sealer.seal(CHECK, CHECK_AAD));
    return;
  }
  let ok = false;
  try {
    ok = sealer.open(v, CHECK_AAD).equals(CHECK);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AlprError(
      ErrorCodes.HOTLIST_KEY,
      `hot-list database ${path} was sealed with another key (a card from another unit, or a different store.key${sealer.encrypted ? '' : ', or store.encryption: none on an encrypted database'}): it is not opened. Remove it to have the lists sent again.`,
    );
  }
}

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
}

/**
 * Seals every list table still in the clear format, atomically (one transaction: a crash leaves
 * the clear tables live and the move starts again at the next open), then rewrites the file
 * (VACUUM) so that no freed page keeps clear text. Returns the number of tables moved.
 */
export function sealClearTables(
  db: Database.Database,
  codec: RowCodec,
  sealer: Sealer,
  layout: Layout,
): number {
  const lists = db.prepare('SELECT * FROM lists').all() as ListRow[];
  const clear = lists.filter((l) => columns(db, l.tbl).includes('plate'));
  if (clear.length === 0) return 0;
  db.function('alpr_ftag', (folded: unknown) => codec.foldTag(String(folded)));
  db.function('alpr_ptag', (plate: unknown) => codec.plateTag(String(plate)));
  db.function('alpr_seal', { varargs: true }, (...v: unknown[]) => {
    const s = (x: unknown) => (x === null ? null : String(x));
    const [list, n, plate, raw, state, caseNumber, xref, reason, officerName, officerPhone, synopsis] = v;
    return codec.params(Number(n), {
      list: String(list),
      plate: String(plate),
      raw: String(raw),
      state: s(state),
      caseNumber: s(caseNumber),
      xref: s(xref),
      reason: s(reason),
      officerName: s(officerName),
      officerPhone: s(officerPhone),
      synopsis: s(synopsis),
      priority: 0,
      informational: false,
      shareable: false,
      source: null,
      created: 0,
      expires: null,
    })[10];
  });
  db.transaction(() => {
    for (const l of clear) {
      const to = `${l.tbl}_sealed`;
      db.exec(`DROP TABLE IF EXISTS "${to}"`);
      createTable(db, to, layout !== 'rowid-index');
      db.prepare(
        `INSERT INTO "${to}"(ftag, n, wild, ptag, priority, informational, shareable, source, created, expires, sealed)
         SELECT alpr_ftag(folded), n, wild, alpr_ptag(plate), priority, informational, shareable, source, created,
           expires, alpr_seal(?, n, plate, raw, state, case_number, xref, reason, officer_name, officer_phone, synopsis)
         FROM "${l.tbl}"`,
      ).run(l.name);
      createIndexes(db, to, layout);
      const index = new PlateIndexBuilder(l.entries);
      for (const p of db.prepare(`SELECT plate FROM "${l.tbl}" WHERE wild = 0`).pluck().iterate())
        index.add(p as string);
      savePlateIndex(db, to, index.finish(), sealer);
      db.prepare('UPDATE lists SET tbl = ? WHERE name = ?').run(to, l.name);
      db.exec(`DROP TABLE "${l.tbl}"`);
      db.prepare('DELETE FROM plate_index_parts WHERE tbl = ?').run(l.tbl);
    }
  }).immediate();
  // The clear rows are on freed pages now: rewrite the file without them, and empty the WAL.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return clear.length;
}
