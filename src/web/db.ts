/**
 * The web stage's SQLite file (paths.dataDir/<web.file>): the roster, start-of-shift checks, hit
 * actions and the hash-chained audit trail. No plate text is kept here except in audited search
 * queries (the auditors need to see what was searched).
 */
import Database from 'better-sqlite3';
import { type AuditEntry, type AuditRow, chainRow, type ChainVerdict, verifyAuditChain } from './audit.ts';
import type { HitState } from './hit-state.ts';
import type { RosterEntry } from './roster.ts';

type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS roster (
  badge TEXT PRIMARY KEY, name TEXT NOT NULL, trained INTEGER NOT NULL, pin_hash TEXT NOT NULL,
  expires INTEGER, imported_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS shift_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, badge TEXT, all_green INTEGER NOT NULL,
  lights TEXT NOT NULL, note TEXT
);
CREATE TABLE IF NOT EXISTS hit_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, hit_id TEXT NOT NULL, at INTEGER NOT NULL, badge TEXT,
  action TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL, reason TEXT, note TEXT
);
CREATE INDEX IF NOT EXISTS hit_actions_hit ON hit_actions(hit_id);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, badge TEXT, kind TEXT NOT NULL, detail TEXT NOT NULL,
  reason TEXT, case_number TEXT, result_count INTEGER, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
`;

export interface ShiftCheck {
  id: number;
  at: number;
  badge: string | null;
  allGreen: boolean;
  lights: unknown;
  note: string | null;
}

export interface HitActionRow {
  hitId: string;
  at: number;
  badge: string | null;
  action: string;
  from: HitState;
  to: HitState;
  reason: string | null;
  note: string | null;
}

interface AuditDbRow {
  seq: number;
  at: number;
  badge: string | null;
  kind: AuditRow['kind'];
  detail: string;
  reason: string | null;
  case_number: string | null;
  result_count: number | null;
  prev_hash: string;
  hash: string;
}

function toAudit(r: AuditDbRow): AuditRow {
  return {
    seq: r.seq,
    at: r.at,
    badge: r.badge,
    kind: r.kind,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    reason: r.reason,
    caseNumber: r.case_number,
    resultCount: r.result_count,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function openWebDb(file: string): WebDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return new WebDb(db);
}

export class WebDb {
  constructor(readonly db: Db) {}

  /** Replaces the roster with `entries` (the admins' list is the whole truth). */
  replaceRoster(entries: readonly RosterEntry[], now: number): void {
    const ins = this.db.prepare(
      'INSERT INTO roster (badge, name, trained, pin_hash, expires, imported_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM roster').run();
      for (const e of entries) ins.run(e.badge, e.name, e.trained ? 1 : 0, e.pinHash, e.expires, now);
    })();
  }

  rosterEntry(badge: string): RosterEntry | undefined {
    const r = this.db.prepare('SELECT * FROM roster WHERE badge = ?').get(badge) as
      | { badge: string; name: string; trained: number; pin_hash: string; expires: number | null }
      | undefined;
    return (
      r && { badge: r.badge, name: r.name, trained: r.trained === 1, pinHash: r.pin_hash, expires: r.expires }
    );
  }

  rosterSize(): number {
    return this.db.prepare('SELECT count(*) FROM roster').pluck().get() as number;
  }

  addShiftCheck(c: Omit<ShiftCheck, 'id'>): ShiftCheck {
    const r = this.db
      .prepare('INSERT INTO shift_checks (at, badge, all_green, lights, note) VALUES (?, ?, ?, ?, ?)')
      .run(c.at, c.badge, c.allGreen ? 1 : 0, JSON.stringify(c.lights), c.note);
    return { ...c, id: Number(r.lastInsertRowid) };
  }

  /** The latest start-of-shift check by `badge` since `since`, or null. */
  lastShiftCheck(badge: string, since: number): ShiftCheck | null {
    const r = this.db
      .prepare('SELECT * FROM shift_checks WHERE badge = ? AND at >= ? ORDER BY id DESC LIMIT 1')
      .get(badge, since) as
      | { id: number; at: number; badge: string; all_green: number; lights: string; note: string | null }
      | undefined;
    return r
      ? {
          id: r.id,
          at: r.at,
          badge: r.badge,
          allGreen: r.all_green === 1,
          lights: JSON.parse(r.lights),
          note: r.note,
        }
      : null;
  }

  addHitAction(a: HitActionRow): void {
    this.db
      .prepare(
        'INSERT INTO hit_actions (hit_id, at, badge, action, from_state, to_state, reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(a.hitId, a.at, a.badge, a.action, a.from, a.to, a.reason, a.note);
  }

  /** The current state of each of `hitIds` that has one (absent = new). */
  hitStates(hitIds: readonly string[]): Map<string, HitActionRow> {
    const out = new Map<string, HitActionRow>();
    const st = this.db.prepare('SELECT * FROM hit_actions WHERE hit_id = ? ORDER BY id DESC LIMIT 1');
    for (const id of hitIds) {
      const r = st.get(id) as
        | {
            hit_id: string;
            at: number;
            badge: string | null;
            action: string;
            from_state: HitState;
            to_state: HitState;
            reason: string | null;
            note: string | null;
          }
        | undefined;
      if (r)
        out.set(id, {
          hitId: r.hit_id,
          at: r.at,
          badge: r.badge,
          action: r.action,
          from: r.from_state,
          to: r.to_state,
          reason: r.reason,
          note: r.note,
        });
    }
    return out;
  }

  /** Appends one audit row, chained to the last (in one transaction: no two rows share a seq). */
  appendAudit(e: Omit<AuditEntry, 'seq'>): AuditRow {
    return this.db
      .transaction(() => {
        const last = this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT 1').get() as
          | AuditDbRow
          | undefined;
        const row = chainRow(last ? toAudit(last) : null, e);
        this.db
          .prepare(
            'INSERT INTO audit (seq, at, badge, kind, detail, reason, case_number, result_count, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            row.seq,
            row.at,
            row.badge,
            row.kind,
            JSON.stringify(row.detail),
            row.reason,
            row.caseNumber,
            row.resultCount,
            row.prevHash,
            row.hash,
          );
        return row;
      })
      .immediate();
  }

  /** The latest `limit` audit rows, newest first. */
  recentAudit(limit: number): AuditRow[] {
    return (this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as AuditDbRow[]).map(
      toAudit,
    );
  }

  verifyAudit(): ChainVerdict {
    const it = this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditDbRow>;
    return verifyAuditChain(
      (function* () {
        for (const r of it) yield toAudit(r);
      })(),
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
