/** The row work of a delta inside the store's transaction: remove equal rows, add new ones. */
import type Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { DeltaChange } from './delta.ts';
import { PARAM_COLS, toParams } from './rows.ts';

/** Columns the unit fills itself; a remove compares all the others, the ones the admin publishes. */
const UNIT_OWN = new Set(['n', 'wild', 'raw', 'source', 'created']);
/** The compared columns and their place in `toParams` (`IS`: `=` that also matches NULL, same plan). */
const MATCH = PARAM_COLS.flatMap((col, at) => (UNIT_OWN.has(col) ? [] : [{ col, at }]));

/**
 * Applies `changes` to the live table of `cur` (the caller holds the transaction). A remove
 * deletes one row equal in every published column (`created` and `source` are the unit's own);
 * a remove that finds none throws, which rolls the whole delta back. Returns the new entry
 * count and the plates added and removed (for the plate index).
 */
export function writeDelta(
  db: Database.Database,
  cur: { name: string; version: number; table: string; entries: number },
  meta: { list: string; expectedEntries?: number },
  changes: Iterable<DeltaChange>,
  insert: Database.Statement,
): { entries: number; added: string[]; removed: string[] } {
  const t = `"${cur.table}"`;
  const find = db
    .prepare(`SELECT rowid FROM ${t} WHERE ${MATCH.map((m) => `${m.col} IS ?`).join(' AND ')} LIMIT 1`)
    .pluck();
  const del = db.prepare(`DELETE FROM ${t} WHERE rowid = ?`);
  const added: string[] = [];
  const removed: string[] = [];
  let n = (db.prepare(`SELECT coalesce(max(n), -1) + 1 FROM ${t}`).pluck().get() as number) ?? 0;
  let entries = cur.entries;
  for (const c of changes) {
    if (c.entry.list !== meta.list) {
      throw new AlprError(ErrorCodes.HOTLIST, `entry of list ${c.entry.list} in a delta of ${meta.list}`);
    }
    const params = toParams(n, c.entry);
    if (c.op === '+') {
      insert.run(params);
      added.push(c.entry.plate);
      n++;
      entries++;
      continue;
    }
    const id = find.get(MATCH.map((m) => params[m.at]));
    if (id === undefined) {
      throw new AlprError(
        ErrorCodes.HOTLIST_VERSION,
        `list ${meta.list}: delta removes an entry that version ${cur.version} does not hold`,
      );
    }
    del.run(id);
    removed.push(c.entry.plate);
    entries--;
  }
  if (meta.expectedEntries !== undefined && entries !== meta.expectedEntries) {
    throw new AlprError(
      ErrorCodes.HOTLIST_VERSION,
      `list ${meta.list}: delta leaves ${entries} entries, its manifest says ${meta.expectedEntries}`,
    );
  }
  return { entries, added, removed };
}

/** Throws unless `cur` (the live version) is the delta's base and the delta is newer. */
export function checkDeltaBase(
  cur: { version: number } | undefined,
  meta: { list: string; version: number; baseVersion: number },
): asserts cur is { version: number } {
  if (!cur || cur.version !== meta.baseVersion) {
    throw new AlprError(
      ErrorCodes.HOTLIST_VERSION,
      `list ${meta.list}: delta ${meta.baseVersion}→${meta.version} does not apply to the live version ${cur?.version ?? 'none'}`,
    );
  }
  if (!Number.isSafeInteger(meta.version) || meta.version <= cur.version) {
    throw new AlprError(
      ErrorCodes.HOTLIST_VERSION,
      `list ${meta.list}: delta version ${meta.version} is not newer`,
    );
  }
}
