/**
 * The central store in one SQLite file: the demo's and the tests' (they count loss and duplicates
 * from it). No retention here: an agency runs the PostgreSQL store (pg-store.ts).
 */
import Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { TallyBucket } from '../domain/ports.ts';
import { HOUR_MS, toBuckets } from '../domain/tally.ts';
import type { CentralRecord, CentralStore, PutOutcome } from './store.ts';

export interface SinkCounts {
  records: number;
  byType: Record<string, number>;
  duplicates: number;
  conflicts: number;
  malformed: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  type TEXT NOT NULL, id TEXT NOT NULL, agency TEXT NOT NULL, unit TEXT NOT NULL,
  received_at INTEGER NOT NULL, digest TEXT NOT NULL, payload TEXT NOT NULL,
  captured_at INTEGER,
  PRIMARY KEY (type, id)
);
CREATE INDEX IF NOT EXISTS records_unit_captured ON records (agency, unit, captured_at) WHERE captured_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (k TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS unit_status (agency TEXT, unit TEXT, state TEXT, at INTEGER, PRIMARY KEY (agency, unit));
`;

export class SqliteCentralStore implements CentralStore {
  private db: Database.Database | null = null;
  private st: Record<string, Database.Statement> = {};

  constructor(private readonly file: string) {}

  async start(): Promise<void> {
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Several receivers may share one file: wait for the other's write rather than fail.
    db.pragma('busy_timeout = 5000');
    // files from before captured_at was kept get the column; their old rows have none
    const cols = db.prepare('PRAGMA table_info(records)').all() as { name: string }[];
    if (cols.length > 0 && !cols.some((c) => c.name === 'captured_at'))
      db.exec('ALTER TABLE records ADD COLUMN captured_at INTEGER');
    db.exec(SCHEMA);
    this.db = db;
    this.st = {
      insert: db.prepare(
        'INSERT OR IGNORE INTO records (type, id, agency, unit, received_at, digest, payload, captured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      digest: db.prepare('SELECT digest FROM records WHERE type = ? AND id = ?').pluck(),
      bump: db.prepare('INSERT INTO counters (k, n) VALUES (?, 1) ON CONFLICT(k) DO UPDATE SET n = n + 1'),
      status: db.prepare(
        'INSERT INTO unit_status (agency, unit, state, at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET state = excluded.state, at = excluded.at',
      ),
    };
  }

  async put(r: CentralRecord, receivedAt: number): Promise<PutOutcome> {
    const at = r.type === 'read' || r.type === 'hit' ? r.capturedAt : null;
    const res = this.st.insert!.run(r.type, r.id, r.agency, r.unit, receivedAt, r.digest, r.payload, at);
    if (res.changes > 0) return 'new';
    this.st.bump!.run('duplicates');
    if (this.st.digest!.get(r.type, r.id) === r.digest) return 'duplicate';
    this.st.bump!.run('conflicts');
    return 'conflict';
  }

  async stored(agency: string, unit: string, hours: readonly number[]): Promise<TallyBucket[]> {
    const q = this.open().prepare(
      'SELECT type, count(*) AS n FROM records WHERE agency = ? AND unit = ? AND captured_at >= ? AND captured_at < ? GROUP BY type',
    );
    const reads: { h: number; n: number }[] = [];
    const hits: { h: number; n: number }[] = [];
    for (const h of hours)
      for (const r of q.all(agency, unit, h, h + HOUR_MS) as { type: string; n: number }[])
        (r.type === 'read' ? reads : r.type === 'hit' ? hits : []).push({ h, n: r.n });
    return toBuckets(reads, hits);
  }

  async status(agency: string, unit: string, state: string, at: number): Promise<void> {
    this.st.status!.run(agency, unit, state, at);
  }

  async malformed(): Promise<void> {
    this.st.bump!.run('malformed');
  }

  counts(): SinkCounts {
    return sinkCounts(this.open());
  }

  /** Ids of one type in arrival order. */
  ids(type: string): string[] {
    return this.open()
      .prepare('SELECT id FROM records WHERE type = ? ORDER BY rowid')
      .pluck()
      .all(type) as string[];
  }

  /** Types in arrival order (to check hits before reads). */
  arrivalTypes(): string[] {
    return this.open().prepare('SELECT type FROM records ORDER BY rowid').pluck().all() as string[];
  }

  unitStatus(agency: string, unit: string): string | null {
    const s = this.open()
      .prepare('SELECT state FROM unit_status WHERE agency = ? AND unit = ?')
      .pluck()
      .get(agency, unit);
    return (s as string | undefined) ?? null;
  }

  async stop(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  private open(): Database.Database {
    if (!this.db) throw new AlprError(ErrorCodes.SYNC, 'sink not started');
    return this.db;
  }
}

export function sinkCounts(db: Database.Database): SinkCounts {
  const byType: Record<string, number> = {};
  for (const r of db.prepare('SELECT type, count(*) AS n FROM records GROUP BY type').all() as {
    type: string;
    n: number;
  }[]) {
    byType[r.type] = r.n;
  }
  const counter = (k: string) =>
    (db.prepare('SELECT n FROM counters WHERE k = ?').pluck().get(k) as number) ?? 0;
  return {
    records: Object.values(byType).reduce((a, b) => a + b, 0),
    byType,
    duplicates: counter('duplicates'),
    conflicts: counter('conflicts'),
    malformed: counter('malformed'),
  };
}
