/**
 * The hot-list store: one SQLite file (WAL). Each list version lives in its own table
 * `e_<LIST>_<version>`; the `lists` table names the live table of each list. A new version is
 * built beside the old one in batches, then swapped in by one small transaction, so a crash at
 * any point leaves the old version live (the half-built table is dropped at the next open).
 */
import Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Sealer } from '../domain/seal.ts';
import { foldKey } from './confusion.ts';
import type { DeltaChange } from './delta.ts';
import { checkDeltaBase, writeDelta } from './store-delta.ts';
import type { HotlistEntry, StoredEntry } from './match.ts';
import { type PlateIndex, PlateIndexBuilder } from './plate-index.ts';
import { addShapeCounts } from './shape.ts';
import { loadPlateIndex, PLATE_INDEX_DDL, savePlateIndex } from './store-index.ts';
import { COLS, LIST_NAME, type ListRow, listInfo, type Row, RowCodec } from './rows.ts';
import { checkKey, sealClearTables } from './store-migrate.ts';
import { createIndexes, createTable, insertStmt, PARAMS_PER_ROW } from './store-tables.ts';

/**
 * rowid-index: a rowid table plus an index on the fold key (the default: fastest import).
 * without-rowid: the table clustered on (fold key, n), rows inserted in arrival order.
 * without-rowid-sorted: clustered, filled from a rowid staging table in key order.
 */
export type Layout = 'without-rowid' | 'without-rowid-sorted' | 'rowid-index';

export interface ListInfo {
  name: string;
  version: number;
  /** Epoch ms when the admin issued the version. */
  issuedAt: number;
  /** Epoch ms when this unit applied it. */
  appliedAt: number;
  entries: number;
  source: string | null;
  table: string;
}

export interface ApplyMeta {
  list: string;
  version: number;
  issuedAt: number;
  source?: string | null;
  /** Entries expected (the manifest's count): sizes the plate index up front. */
  expectedEntries?: number;
}

export interface ApplyOptions {
  /** Rows per transaction while building; Infinity builds and swaps in one transaction. */
  batchRows?: number;
  onProgress?: (rows: number) => void;
  now?: number;
}

const MULTI_ROWS = 50;
const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

export class HotlistStore {
  readonly db: Database.Database;
  private readonly layout: Layout;
  private readonly sealer: Sealer;
  private readonly codec: RowCodec;
  /** List tables moved from the clear format to sealed rows at this open. */
  readonly sealedAtOpen: number;
  private probes: {
    list: ListInfo;
    stmt: Database.Statement;
    byPlate: Database.Statement;
    index: PlateIndex;
  }[] = [];
  private wild: StoredEntry[] = [];
  private shapes = new Map<number, number>();
  private listCache: ListInfo[] = [];
  /** Indexes this process just built and saved, by `<table>:<version>`: refresh() takes them as they are. */
  private readonly built = new Map<string, PlateIndex>();

  /**
   * `cacheMiB` bounds SQLite's page cache (RSS): the plate index answers misses in memory, so
   * SQLite is read only for hits and needs little cache. No mmap: mapped pages would count in RSS.
   */
  constructor(path: string, opts: { layout?: Layout; cacheMiB?: number; sealer: Sealer }) {
    this.layout = opts.layout ?? 'rowid-index';
    this.sealer = opts.sealer;
    this.codec = new RowCodec(opts.sealer);
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma(`cache_size = -${(opts.cacheMiB ?? 8) * 1024}`);
      this.db.pragma('mmap_size = 0');
      // blooms (fold-key filters) and plate_index (one-blob indexes) are earlier formats.
      this.db.exec(`CREATE TABLE IF NOT EXISTS lists(
        name TEXT PRIMARY KEY, version INTEGER NOT NULL, issued_at INTEGER NOT NULL,
        applied_at INTEGER NOT NULL, entries INTEGER NOT NULL, source TEXT, tbl TEXT NOT NULL) STRICT;
        ${PLATE_INDEX_DDL}; DROP TABLE IF EXISTS blooms; DROP TABLE IF EXISTS plate_index`);
    } catch (err) {
      throw new AlprError(ErrorCodes.HOTLIST, `cannot open hot-list database ${path}`, { cause: err });
    }
    try {
      checkKey(this.db, this.sealer, path);
      this.dropOrphans();
      this.sealedAtOpen = sealClearTables(this.db, this.codec, this.sealer, this.layout);
      this.refresh();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }

  lists(): readonly ListInfo[] {
    return this.listCache;
  }

  list(name: string): ListInfo | undefined {
    return this.listCache.find((l) => l.name === name);
  }

  /** Entries per plate shape over every list (from the plate indexes; see shape.ts). */
  shapeCounts(): ReadonlyMap<number, number> {
    return this.shapes;
  }

  /** Entries of every list whose fold key is `folded`: an SQLite probe only where the plate index has the key. */
  byFold(folded: string): StoredEntry[] {
    let out: StoredEntry[] | null = null;
    for (const p of this.probes) {
      if (!p.index.hasFold(folded)) continue;
      const rows = (p.stmt.all(this.codec.foldTag(folded)) as Row[]).map((r) => this.codec.entry(r));
      out = out ? out.concat(rows) : rows;
    }
    return out ?? [];
  }

  /**
   * Entries (of any list) whose plate is within `maxSubs` look-alike substitutions of `text`.
   * The plate index finds those plates in memory, so a miss costs a binary search per list and
   * no SQLite; a hit reads only the rows of the matching plates (one index seek on (folded,
   * plate) each), not every row that shares the fold key.
   */
  near(text: string, maxSubs: number, seen?: Map<string, readonly StoredEntry[]>): readonly StoredEntry[] {
    let out: readonly StoredEntry[] | null = null;
    for (const p of this.probes) {
      const plates = p.index.matches(text, maxSubs);
      for (const plate of plates) {
        const key = `${p.list.name}\u0000${plate}`;
        // Read once per read: other candidates of the same read get the rows from `seen`.
        let rows = seen?.get(key);
        if (!rows) {
          rows = (p.byPlate.all(this.codec.foldTag(foldKey(plate)), this.codec.plateTag(plate)) as Row[]).map(
            (r) => this.codec.entry(r),
          );
          seen?.set(key, rows);
        }
        out = out ? out.concat(rows) : rows;
      }
    }
    return out ?? [];
  }

  /** Every live entry of a small list (LOCAL), oldest first; never call it for a state list. */
  entriesOf(list: string, now = Date.now()): StoredEntry[] {
    const l = this.list(list);
    if (!l) return [];
    const sql = `SELECT ${COLS}, '${l.name}' AS list, ${l.version} AS version FROM "${l.table}"
      WHERE expires IS NULL OR expires > ? ORDER BY n`;
    return (this.db.prepare(sql).all(now) as Row[]).map((r) => this.codec.entry(r));
  }

  wildcards(): readonly StoredEntry[] {
    return this.wild;
  }

  /** Tables of half-applied versions left by a crash. */
  private dropOrphans(): void {
    const live = new Set((this.db.prepare('SELECT tbl FROM lists').pluck().all() as string[]) ?? []);
    const tables = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'e\\_%' ESCAPE '\\'")
      .pluck()
      .all() as string[];
    for (const t of tables) if (!live.has(t)) this.db.exec(`DROP TABLE "${t}"`);
    this.db.prepare('DELETE FROM plate_index_parts WHERE tbl NOT IN (SELECT tbl FROM lists)').run();
  }

  private readLists(): ListInfo[] {
    return (this.db.prepare('SELECT * FROM lists ORDER BY name').all() as ListRow[]).map(listInfo);
  }

  /** Rebuilds the probe statement and the wildcard cache after any list change. */
  private refresh(): void {
    this.listCache = this.readLists();
    const sel = (l: ListInfo, where: string) =>
      `SELECT ${COLS}, '${l.name}' AS list, ${l.version} AS version FROM "${l.table}" WHERE ${where}`;
    // An index is reused only for the same table at the same version: another process (the CLI)
    // may have added entries, and saved the index with them. Purged entries stay in it (a
    // superset only costs an SQLite probe that finds nothing).
    const old = new Map(this.probes.map((p) => [`${p.list.table}:${p.list.version}`, p.index]));
    this.probes = this.listCache.map((l) => ({
      list: l,
      stmt: this.db.prepare(sel(l, 'ftag = ?')),
      byPlate: this.db.prepare(sel(l, 'ftag = ? AND ptag = ?')),
      index:
        old.get(`${l.table}:${l.version}`) ??
        this.built.get(`${l.table}:${l.version}`) ??
        this.loadIndex(l.table, l.name),
    }));
    this.built.clear();
    // counted here, with the lists, not on the first hit after a change (~0.1 s at 5M entries)
    this.shapes = new Map();
    for (const p of this.probes) addShapeCounts(this.shapes, p.index.shapeCounts());
    if (this.listCache.length === 0) {
      this.wild = [];
      return;
    }
    this.wild = (
      this.db.prepare(this.listCache.map((l) => sel(l, 'wild = 1')).join(' UNION ALL ')).all() as Row[]
    ).map((r) => this.codec.entry(r));
  }

  private loadIndex(table: string, list: string): PlateIndex {
    return loadPlateIndex(this.db, table, list, this.sealer, this.codec);
  }

  /**
   * Applies a new version of a list: newest overwrites old (policy rule 5). Refuses a version
   * that is not newer than the live one. Returns the number of entries applied.
   */
  async applyVersion(
    meta: ApplyMeta,
    entries: Iterable<HotlistEntry> | AsyncIterable<HotlistEntry>,
    opts: ApplyOptions = {},
  ): Promise<number> {
    if (!LIST_NAME.test(meta.list)) throw new AlprError(ErrorCodes.HOTLIST, `bad list name "${meta.list}"`);
    if (!Number.isSafeInteger(meta.version) || meta.version < 1) {
      throw new AlprError(ErrorCodes.HOTLIST, `bad version ${meta.version} for list ${meta.list}`);
    }
    const cur = this.list(meta.list);
    if (cur && cur.version >= meta.version) {
      throw new AlprError(
        ErrorCodes.HOTLIST_VERSION,
        `list ${meta.list}: version ${meta.version} is not newer than the live version ${cur.version}`,
      );
    }
    const table = `e_${meta.list}_${meta.version}`;
    const batch = opts.batchRows ?? 20_000;
    const single = !Number.isFinite(batch);
    const sorted = this.layout === 'without-rowid-sorted';
    // The staging table's name starts like a list table's, so a crash leaves it to dropOrphans().
    const fill = sorted ? `${table}_stage` : table;
    this.db.exec(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${fill}"`);
    if (single) this.db.exec('BEGIN');
    try {
      createTable(this.db, table, this.layout !== 'rowid-index');
      if (sorted) createTable(this.db, fill, false);
      const index = new PlateIndexBuilder(Math.max(meta.expectedEntries ?? 0, cur?.entries ?? 0) * 1.05);
      const one = insertStmt(this.db, fill);
      const many = insertStmt(this.db, fill, MULTI_ROWS);
      let pending: unknown[] = [];
      let n = 0;
      let inTx = single;
      const flush = () => {
        if (pending.length === MULTI_ROWS * PARAMS_PER_ROW) many.run(pending);
        else
          for (let i = 0; i < pending.length; i += PARAMS_PER_ROW)
            one.run(pending.slice(i, i + PARAMS_PER_ROW));
        pending = [];
      };
      for await (const e of entries) {
        if (e.list !== meta.list) {
          throw new AlprError(ErrorCodes.HOTLIST, `entry of list ${e.list} in a version of ${meta.list}`);
        }
        if (!inTx) {
          this.db.exec('BEGIN');
          inTx = true;
        }
        const params = this.codec.params(n++, e);
        index.add(e.plate);
        for (const v of params) pending.push(v);
        if (pending.length === MULTI_ROWS * PARAMS_PER_ROW) flush();
        if (!single && n % batch === 0) {
          flush();
          this.db.exec('COMMIT');
          inTx = false;
          opts.onProgress?.(n);
          await yieldLoop();
        }
      }
      if (!inTx && pending.length > 0) this.db.exec('BEGIN');
      flush();
      if (this.db.inTransaction && !single) this.db.exec('COMMIT');
      if (sorted) {
        this.db.exec(`INSERT INTO "${table}" SELECT * FROM "${fill}" ORDER BY ftag, n; DROP TABLE "${fill}"`);
      }
      createIndexes(this.db, table, this.layout);
      this.swap(meta, table, n, opts.now ?? Date.now(), single, index.finish());
      opts.onProgress?.(n);
      return n;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.db.exec(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${fill}"`);
      throw err;
    }
  }

  private swap(
    meta: ApplyMeta,
    table: string,
    n: number,
    now: number,
    inOpenTx: boolean,
    index: PlateIndex,
  ): void {
    const old = this.list(meta.list);
    if (!inOpenTx) this.db.exec('BEGIN IMMEDIATE');
    savePlateIndex(this.db, table, index, this.sealer);
    this.db
      .prepare('INSERT OR REPLACE INTO lists VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(meta.list, meta.version, meta.issuedAt, now, n, meta.source ?? null, table);
    this.db.exec('COMMIT');
    this.built.set(`${table}:${meta.version}`, index);
    // Dropping the old table after the commit: a crash here only leaves an orphan to drop at open.
    if (old && old.table !== table) {
      this.db.exec(`DROP TABLE IF EXISTS "${old.table}"`);
      this.db.prepare('DELETE FROM plate_index_parts WHERE tbl = ?').run(old.table);
    }
    this.refresh();
  }

  /**
   * Applies a delta: the live version of `meta.list` must be `baseVersion`; every removed row
   * must be there (equal in every column). One transaction: a crash or a refusal leaves the base
   * version live, untouched. Returns the number of entries of the new version.
   */
  applyDelta(
    meta: ApplyMeta & { baseVersion: number },
    changes: Iterable<DeltaChange>,
    now = Date.now(),
  ): number {
    const cur = this.list(meta.list);
    checkDeltaBase(cur, meta);
    const tx = this.db.transaction(() => {
      const { entries, added, removed } = writeDelta(
        this.db,
        cur,
        meta,
        changes,
        insertStmt(this.db, cur.table),
        this.codec,
      );
      const live =
        this.probes.find((p) => p.list.name === meta.list)?.index ?? this.loadIndex(cur.table, cur.name);
      const index = live.withChanges(added, removed);
      this.db
        .prepare(
          'UPDATE lists SET version = ?, issued_at = ?, applied_at = ?, entries = ?, source = ? WHERE name = ?',
        )
        .run(meta.version, meta.issuedAt, now, entries, meta.source ?? null, meta.list);
      savePlateIndex(this.db, cur.table, index, this.sealer);
      return { entries, index };
    });
    const { entries, index } = tx.immediate();
    this.built.set(`${cur.table}:${meta.version}`, index);
    this.refresh();
    return entries;
  }

  /** Adds one entry to a list in place (officer hot plates, list LOCAL), creating the list if needed. */
  addEntry(e: HotlistEntry, now = Date.now()): void {
    let cur = this.list(e.list);
    const tx = this.db.transaction(() => {
      if (!cur) {
        const table = `e_${e.list}_${now}`;
        createTable(this.db, table, this.layout !== 'rowid-index');
        createIndexes(this.db, table, this.layout);
        this.db
          .prepare('INSERT INTO lists VALUES (?, ?, ?, ?, 0, ?, ?)')
          .run(e.list, now, now, now, 'local', table);
        cur = {
          name: e.list,
          version: now,
          issuedAt: now,
          appliedAt: now,
          entries: 0,
          source: 'local',
          table,
        };
      }
      const n =
        (this.db.prepare(`SELECT coalesce(max(n), -1) + 1 FROM "${cur.table}"`).pluck().get() as number) ?? 0;
      insertStmt(this.db, cur.table).run(this.codec.params(n, e));
      // Read the index from the file inside the write transaction: another process may have added too.
      savePlateIndex(
        this.db,
        cur.table,
        this.loadIndex(cur.table, cur.name).withAdded([e.plate]),
        this.sealer,
      );
      const version = Math.max(now, cur.version + 1);
      this.db
        .prepare(
          'UPDATE lists SET version = ?, issued_at = ?, applied_at = ?, entries = entries + 1 WHERE name = ?',
        )
        .run(version, now, now, e.list);
    });
    tx.immediate();
    this.refresh();
  }

  /** Deletes expired entries from every list; returns how many went. */
  purgeExpired(now = Date.now()): number {
    let gone = 0;
    const tx = this.db.transaction(() => {
      for (const l of this.listCache) {
        const r = this.db
          .prepare(`DELETE FROM "${l.table}" WHERE expires IS NOT NULL AND expires <= ?`)
          .run(now);
        if (r.changes > 0) {
          this.db.prepare('UPDATE lists SET entries = entries - ? WHERE name = ?').run(r.changes, l.name);
          gone += r.changes;
        }
      }
    });
    tx();
    if (gone > 0) this.refresh();
    return gone;
  }

  /** Re-reads the list table when another process (the CLI) changed it. Returns true on change. */
  reloadIfChanged(): boolean {
    const sig = (ls: ListInfo[]) => JSON.stringify(ls.map((l) => [l.name, l.version, l.entries, l.table]));
    if (sig(this.readLists()) === sig(this.listCache)) return false;
    this.refresh();
    return true;
  }
}
