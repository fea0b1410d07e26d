/** DDL and bulk statements for one hot-list version's table (`e_<LIST>_<version>`). */
import type Database from 'better-sqlite3';
import { COLS } from './rows.ts';
import type { Layout } from './store.ts';

/** A list version's table; `clustered` makes it WITHOUT ROWID on (fold key, n). */
export function createTable(db: Database.Database, name: string, clustered: boolean): void {
  const cols = `folded TEXT NOT NULL, n INTEGER NOT NULL, wild INTEGER NOT NULL, plate TEXT NOT NULL,
    raw TEXT NOT NULL, state TEXT, priority INTEGER NOT NULL, case_number TEXT, xref TEXT, reason TEXT,
    officer_name TEXT, officer_phone TEXT, synopsis TEXT, informational INTEGER NOT NULL,
    shareable INTEGER NOT NULL, source TEXT, created INTEGER NOT NULL, expires INTEGER`;
  if (clustered) db.exec(`CREATE TABLE "${name}"(${cols}, PRIMARY KEY(folded, n)) WITHOUT ROWID`);
  else db.exec(`CREATE TABLE "${name}"(${cols})`);
}

export function createIndexes(db: Database.Database, name: string, layout: Layout): void {
  // (folded, plate): a hit seeks its plate's rows only (a dense fold key may hold dozens of
  // plates, each row on another page); `folded = ?` alone still uses the prefix.
  if (layout === 'rowid-index') db.exec(`CREATE INDEX "${name}_f" ON "${name}"(folded, plate)`);
  db.exec(`CREATE INDEX "${name}_w" ON "${name}"(n) WHERE wild = 1`);
  db.exec(`CREATE INDEX "${name}_x" ON "${name}"(expires) WHERE expires IS NOT NULL`);
}

/** An INSERT of `rows` rows at once: fewer calls into SQLite per entry during bulk import. */
export function insertStmt(db: Database.Database, table: string, rows = 1): Database.Statement {
  const one = `(${'?, '.repeat(17)}?)`;
  return db.prepare(
    `INSERT INTO "${table}"(folded, n, wild, ${COLS}) VALUES ${Array(rows).fill(one).join(', ')}`,
  );
}
