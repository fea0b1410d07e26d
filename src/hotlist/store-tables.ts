/** DDL and bulk statements for one hot-list version's table (`e_<LIST>_<version>`). */
import type Database from 'better-sqlite3';
import { PARAM_COLS } from './rows.ts';
import type { Layout } from './store.ts';

/** Values bound per row by an insert (`RowCodec.params`). */
export const PARAMS_PER_ROW = PARAM_COLS.length;

/** A list version's table; `clustered` makes it WITHOUT ROWID on (fold tag, n). */
export function createTable(db: Database.Database, name: string, clustered: boolean): void {
  const cols = `ftag BLOB NOT NULL, n INTEGER NOT NULL, wild INTEGER NOT NULL, ptag BLOB NOT NULL,
    priority INTEGER NOT NULL, informational INTEGER NOT NULL, shareable INTEGER NOT NULL, source TEXT,
    created INTEGER NOT NULL, expires INTEGER, sealed BLOB NOT NULL`;
  if (clustered) db.exec(`CREATE TABLE "${name}"(${cols}, PRIMARY KEY(ftag, n)) WITHOUT ROWID`);
  else db.exec(`CREATE TABLE "${name}"(${cols})`);
}

export function createIndexes(db: Database.Database, name: string, layout: Layout): void {
  // (ftag, ptag): a hit seeks its plate's rows only (a dense fold key may hold dozens of
  // plates, each row on another page); `ftag = ?` alone still uses the prefix.
  if (layout === 'rowid-index') db.exec(`CREATE INDEX "${name}_f" ON "${name}"(ftag, ptag)`);
  db.exec(`CREATE INDEX "${name}_w" ON "${name}"(n) WHERE wild = 1`);
  db.exec(`CREATE INDEX "${name}_x" ON "${name}"(expires) WHERE expires IS NOT NULL`);
}

/** An INSERT of `rows` rows at once: fewer calls into SQLite per entry during bulk import. */
export function insertStmt(db: Database.Database, table: string, rows = 1): Database.Statement {
  const one = `(${Array(PARAMS_PER_ROW).fill('?').join(', ')})`;
  return db.prepare(
    `INSERT INTO "${table}"(${PARAM_COLS.join(', ')}) VALUES ${Array(rows).fill(one).join(', ')}`,
  );
}
