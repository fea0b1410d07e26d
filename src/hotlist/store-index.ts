/** Persistence of the plate index beside each list table, in the store's SQLite file. */
import type Database from 'better-sqlite3';
import { PLATE_INDEX_FORMAT, PlateIndex, PlateIndexBuilder } from './plate-index.ts';

export const PLATE_INDEX_DDL = `CREATE TABLE IF NOT EXISTS plate_index_parts(tbl TEXT NOT NULL,
  part INTEGER NOT NULL, format TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(tbl, part)) STRICT`;

/** The table's stored plate index, or one rebuilt by a scan (an older database or format). */
export function loadPlateIndex(db: Database.Database, table: string): PlateIndex {
  const info = db
    .prepare(
      'SELECT count(*) AS n, sum(length(data)) AS bytes, min(format = ?) AS ok FROM plate_index_parts WHERE tbl = ?',
    )
    .get(PLATE_INDEX_FORMAT, table) as { n: number; bytes: number | null; ok: number | null };
  if (info.n > 0 && info.ok === 1) {
    // Part by part into one array: never the whole index twice in memory.
    const all = new Uint8Array(info.bytes ?? 0);
    let at = 0;
    const parts = db.prepare('SELECT data FROM plate_index_parts WHERE tbl = ? ORDER BY part').pluck();
    for (const d of parts.iterate(table) as Iterable<Buffer>) {
      all.set(d, at);
      at += d.length;
    }
    return PlateIndex.fromBytes(all);
  }
  const b = new PlateIndexBuilder();
  for (const p of db.prepare(`SELECT plate FROM "${table}" WHERE wild = 0`).pluck().iterate())
    b.add(p as string);
  const index = b.finish();
  savePlateIndex(db, table, index);
  return index;
}

/**
 * Stored in 1 MiB parts: SQLite copies a bound blob and holds it in dirty pages until the
 * commit, so one 40 MB blob (a 5,000,000-entry list) added ~70 MB to RSS at the swap.
 */
export function savePlateIndex(db: Database.Database, table: string, index: PlateIndex): void {
  db.prepare('DELETE FROM plate_index_parts WHERE tbl = ?').run(table);
  const ins = db.prepare('INSERT INTO plate_index_parts VALUES (?, ?, ?, ?)');
  const bytes = index.bytes();
  const part = 1 << 20;
  for (let i = 0, k = 0; i === 0 || i < bytes.length; i += part, k++) {
    ins.run(table, k, PLATE_INDEX_FORMAT, bytes.subarray(i, i + part));
  }
}
