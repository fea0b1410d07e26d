/** The row work of a delta inside the store's transaction: remove equal rows, add new ones. */
import type Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { foldKey } from './confusion.ts';
import type { DeltaChange } from './delta.ts';
import type { HotlistEntry } from './match.ts';
import { COLS, type Row, type RowCodec } from './rows.ts';

/** The fields an admin publishes: a remove must equal a row in all of them (`raw`, `source`, `created` are the unit's own). */
const PUBLISHED = [
  'plate',
  'state',
  'priority',
  'caseNumber',
  'xref',
  'reason',
  'officerName',
  'officerPhone',
  'synopsis',
  'informational',
  'shareable',
  'expires',
] as const satisfies readonly (keyof HotlistEntry)[];

const samePublished = (a: HotlistEntry, b: HotlistEntry) => PUBLISHED.every((k) => a[k] === b[k]);

/**
 * Applies `changes` to the live table of `cur` (the caller holds the transaction). A remove
 * deletes one row equal in every published field, found by its plate's tags and compared once
 * opened; a remove that finds none throws, which rolls the whole delta back. Returns the new
 * entry count and the plates added and removed (for the plate index).
 */
export function writeDelta(
  db: Database.Database,
  cur: { name: string; version: number; table: string; entries: number },
  meta: { list: string; expectedEntries?: number },
  changes: Iterable<DeltaChange>,
  insert: Database.Statement,
  codec: RowCodec,
): { entries: number; added: string[]; removed: string[] } {
  const t = `"${cur.table}"`;
  const find = db.prepare(`SELECT ${COLS}, ftag FROM ${t} WHERE ftag = ? AND ptag = ?`);
  const del = db.prepare(`DELETE FROM ${t} WHERE ftag = ? AND n = ?`);
  const added: string[] = [];
  const removed: string[] = [];
  let n = (db.prepare(`SELECT coalesce(max(n), -1) + 1 FROM ${t}`).pluck().get() as number) ?? 0;
  let entries = cur.entries;
  for (const c of changes) {
    if (c.entry.list !== meta.list) {
      throw new AlprError(ErrorCodes.HOTLIST, `entry of list ${c.entry.list} in a delta of ${meta.list}`);
    }
    if (c.op === '+') {
      insert.run(codec.params(n, c.entry));
      added.push(c.entry.plate);
      n++;
      entries++;
      continue;
    }
    const rows = find.all(codec.foldTag(foldKey(c.entry.plate)), codec.plateTag(c.entry.plate)) as (Row & {
      ftag: Buffer;
    })[];
    const hit = rows.find((r) =>
      samePublished(codec.entry({ ...r, list: cur.name, version: cur.version }), c.entry),
    );
    if (hit === undefined) {
      throw new AlprError(
        ErrorCodes.HOTLIST_VERSION,
        `list ${meta.list}: delta removes an entry that version ${cur.version} does not hold`,
      );
    }
    del.run(hit.ftag, hit.n);
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
