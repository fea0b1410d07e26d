/**
 * Persistence of the plate index beside each list table, in the store's SQLite file. The index
 * holds every listed plate (packed), so each stored part is sealed like a row.
 */
import type Database from 'better-sqlite3';
import type { Sealer } from '../domain/seal.ts';
import { PLATE_INDEX_FORMAT, PlateIndex, PlateIndexBuilder } from './plate-index.ts';
import type { RowCodec } from './rows.ts';

export const PLATE_INDEX_DDL = `CREATE TABLE IF NOT EXISTS plate_index_parts(tbl TEXT NOT NULL,
  part INTEGER NOT NULL, format TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(tbl, part)) STRICT`;

/** Stored parts are sealed: a format of its own, so parts written in clear are rebuilt. */
const FORMAT = `${PLATE_INDEX_FORMAT}+sealed`;
const aad = (table: string, part: number) => `plate_index/${table}/${part}`;

/** The table's stored plate index, or one rebuilt by a scan (an older database or format). */
export function loadPlateIndex(
  db: Database.Database,
  table: string,
  list: string,
  sealer: Sealer,
  codec: RowCodec,
): PlateIndex {
  const info = db
    .prepare(
      'SELECT count(*) AS n, sum(length(data)) AS bytes, min(format = ?) AS ok FROM plate_index_parts WHERE tbl = ?',
    )
    .get(FORMAT, table) as { n: number; bytes: number | null; ok: number | null };
  if (info.n > 0 && info.ok === 1) {
    // Part by part into one array (sized by the sealed bytes, a bound): never the whole index twice.
    const all = new Uint8Array(info.bytes ?? 0);
    let at = 0;
    const parts = db.prepare('SELECT part, data FROM plate_index_parts WHERE tbl = ? ORDER BY part');
    for (const p of parts.iterate(table) as Iterable<{ part: number; data: Buffer }>) {
      const d = sealer.open(p.data, aad(table, p.part));
      all.set(d, at);
      at += d.length;
    }
    return PlateIndex.fromBytes(all.subarray(0, at));
  }
  const b = new PlateIndexBuilder();
  const rows = db.prepare(`SELECT n, sealed FROM "${table}" WHERE wild = 0`);
  for (const r of rows.iterate() as Iterable<{ n: number; sealed: Buffer }>)
    b.add(codec.plateOf(list, r.n, r.sealed));
  const index = b.finish();
  savePlateIndex(db, table, index, sealer);
  return index;
}

/**
 * Stored in 1 MiB parts: SQLite copies a bound blob and holds it in dirty pages until the
 * commit, so one 40 MB blob (a 5,000,000-entry list) added ~70 MB to RSS at the swap.
 */
export function savePlateIndex(
  db: Database.Database,
  table: string,
  index: PlateIndex,
  sealer: Sealer,
): void {
  db.prepare('DELETE FROM plate_index_parts WHERE tbl = ?').run(table);
  const ins = db.prepare('INSERT INTO plate_index_parts VALUES (?, ?, ?, ?)');
  const bytes = index.bytes();
  const part = 1 << 20;
  for (let i = 0, k = 0; i === 0 || i < bytes.length; i += part, k++) {
    ins.run(table, k, FORMAT, sealer.seal(bytes.subarray(i, i + part), aad(table, k)));
  }
}
