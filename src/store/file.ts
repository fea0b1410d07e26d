/**
 * The store's SQLite file: its schema, opening it (WAL, incremental vacuum), and the queue status
 * that `alpr store status` reads without the unit's key. Typed access is db.ts (StoreDb).
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';

type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reads (
  id TEXT PRIMARY KEY,
  captured_at INTEGER NOT NULL,
  camera_id TEXT NOT NULL,
  plate_tag BLOB NOT NULL,
  body BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  synced_at INTEGER,
  hold_ref TEXT
);
CREATE INDEX IF NOT EXISTS reads_captured ON reads(captured_at);
CREATE INDEX IF NOT EXISTS reads_plate ON reads(plate_tag);
CREATE TABLE IF NOT EXISTS hits (
  id TEXT PRIMARY KEY,
  read_id TEXT NOT NULL,
  captured_at INTEGER NOT NULL,
  plate_tag BLOB NOT NULL,
  body BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  synced_at INTEGER
);
CREATE INDEX IF NOT EXISTS hits_read ON hits(read_id);
CREATE INDEX IF NOT EXISTS hits_captured ON hits(captured_at);
CREATE TABLE IF NOT EXISTS images (
  read_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body BLOB NOT NULL,
  bytes INTEGER NOT NULL,
  captured_at INTEGER NOT NULL,
  synced_at INTEGER,
  PRIMARY KEY (read_id, kind)
);
CREATE INDEX IF NOT EXISTS images_captured ON images(captured_at);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  priority INTEGER NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_order ON outbox(priority, seq);
-- reconciliation: whether a record is queued already, and which hours were acknowledged lately
CREATE INDEX IF NOT EXISTS outbox_ref ON outbox(ref, kind);
CREATE INDEX IF NOT EXISTS reads_synced ON reads(synced_at) WHERE synced_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS hits_synced ON hits(synced_at) WHERE synced_at IS NOT NULL;
-- signed hold commands applied (ids, issue times, per case ref): none applies twice, none undoes a later one
CREATE TABLE IF NOT EXISTS hold_commands (
  id TEXT PRIMARY KEY,
  ref TEXT NOT NULL,
  held INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  sig TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS hold_commands_ref ON hold_commands(ref, held, issued_at);
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  body BLOB NOT NULL,
  enqueued_at INTEGER NOT NULL
);
`;

/** Outbox rows at or above this priority are parked (unreadable) and skipped by peek. */
export const PARKED = 100;

/** Opens (creating if needed) the store file: WAL, incremental vacuum, the schema. */
export function openDb(file: string, opts: { synchronous?: 'full' | 'normal'; readonly?: boolean } = {}): Db {
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (opts.readonly) return db;
    // auto_vacuum only takes effect before the first table exists: purges must give space back.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return db;
  } catch (err) {
    db?.close();
    throw new AlprError(
      ErrorCodes.STORE,
      `cannot open store ${file}: ${(err as Error).message}${folderProblem(file)}`,
      {
        cause: err,
      },
    );
  }
}

/** Why the store's folder cannot take its files (a read-only file system, no permission), or ''. */
function folderProblem(file: string): string {
  try {
    accessSync(dirname(file), constants.W_OK);
    return '';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'a read-only file system' : code === 'EACCES' ? 'no permission' : code;
    return ` (the folder ${dirname(file)} is not writable: ${why})`;
  }
}

/** Queue depth and last acknowledgement, read from a store file without its key. */
export function readStoreStatus(file: string): {
  depth: number;
  byKind: Record<string, number>;
  lastAckedAt: number | null;
  reads: number;
  unsyncedReads: number;
  held: number;
  /** Queued rows that cannot be decrypted (kept, not sent). */
  parked: number;
} {
  const db = openDb(file, { readonly: true });
  try {
    const byKind: Record<string, number> = {};
    for (const r of db.prepare('SELECT kind, count(*) AS n FROM outbox GROUP BY kind').all() as {
      kind: string;
      n: number;
    }[]) {
      byKind[r.kind] = r.n;
    }
    const v = db.prepare("SELECT v FROM meta WHERE k = 'last_acked_at'").pluck().get() as string | undefined;
    const c = db
      .prepare(
        'SELECT count(*) AS reads, count(*) - count(synced_at) AS unsynced, count(hold_ref) AS held FROM reads',
      )
      .get() as { reads: number; unsynced: number; held: number };
    const parked = db
      .prepare(`SELECT count(*) FROM outbox WHERE priority >= ${PARKED}`)
      .pluck()
      .get() as number;
    return {
      parked,
      depth: Object.values(byKind).reduce((a, b) => a + b, 0),
      byKind,
      lastAckedAt: v === undefined ? null : Number(v),
      reads: c.reads,
      unsyncedReads: c.unsynced,
      held: c.held,
    };
  } finally {
    db.close();
  }
}
