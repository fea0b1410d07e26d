/**
 * The web stage's SQLite file (paths.dataDir/<web.file>): the roster, start-of-shift checks, hit
 * actions, operator sessions, the hash-chained audit trail, and the wrong-PIN throttle
 * (throttle-db.ts).
 *
 * Plate and position text never lies here in clear: an audit row's `detail` (search query, plate of
 * a hot plate, place) and `reason`, and the free-text notes of hit actions and shift checks, are
 * sealed with the unit's field cipher (AES-256-GCM, context `web`, injected by the root), each
 * bound to its row by its AAD. What stays in clear: times, badges, kinds, case numbers, result
 * counts, hit ids and states, hashes. Sealed values sit in the same columns as BLOBs (SQLite keeps
 * a BLOB as-is in a TEXT column); a text value there is a row written before sealing, which
 * `migrate()` seals on the first open with a key. secure_delete zeroes what an update frees.
 * Sessions are kept as the SHA-256 of their token only. The roster holds keyed PIN verifiers, its
 * key sealed with the same cipher (roster-db.ts).
 */
import Database from 'better-sqlite3';
import type { Sealer } from '../domain/seal.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { type AuditEntry, type AuditRow, ChainCheck, chainRow, type ChainVerdict } from './audit.ts';
import { sealClearRows } from './legacy.ts';
import { ROSTER_KEY_SCHEMA, RosterTable } from './roster-db.ts';
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
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, badge TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, last_seen INTEGER NOT NULL
);
`;
const NO_UPDATE = `CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;`;

/** A stored operator session: the token itself is never stored, only its SHA-256. */
export interface SessionRow {
  tokenHash: string;
  badge: string;
  name: string;
  createdAt: number;
  expiresAt: number;
  lastSeen: number;
}

/**
 * The sealed part of an audit row. `hash`, the row's chain hash, is sealed with it (rows written
 * since it was): whoever holds the file but not the key can then neither write a row of their own
 * nor rewrite a row and the hashes after it, and every row after such a row must carry it too.
 */
interface SealedAudit {
  detail: Record<string, unknown>;
  reason: string | null;
  salt?: string;
  hash?: string;
}

/**
 * The trail's last row (seq and hash), sealed and rewritten with every append: rows removed from
 * the end (with the append-only triggers dropped) leave a trail shorter than its head.
 */
interface AuditHead {
  seq: number;
  hash: string;
}

/** An audit row as read, with whether its sealed part carries its hash. */
type ReadAuditRow = AuditRow & { bound: boolean };

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
  /** Sealed JSON of {detail, reason, salt}; JSON text on rows written before sealing. */
  detail: string | Buffer;
  reason: string | null;
  case_number: string | null;
  result_count: number | null;
  prev_hash: string;
  hash: string;
}

/**
 * Opens (and creates) the page's database. `cipher` seals and opens audit details and notes; without
 * one (the roster command) only the roster and sessions can be used. With an encrypting cipher,
 * rows written in clear by an older version are sealed now.
 */
export function openWebDb(file: string, cipher: Sealer | null = null): WebDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('secure_delete = ON');
  db.exec(SCHEMA);
  db.exec(ROSTER_KEY_SCHEMA);
  db.exec(NO_UPDATE);
  const w = new WebDb(db, cipher);
  if (cipher?.encrypted) w.migrate();
  if (cipher) w.roster.migrate();
  return w;
}

export class WebDb {
  readonly roster: RosterTable;
  private auditCheck: Promise<ChainVerdict> | null = null;

  constructor(
    readonly db: Db,
    private readonly cipher: Sealer | null = null,
  ) {
    this.roster = new RosterTable(db, () => this.c);
  }

  private get c(): Sealer {
    if (!this.cipher)
      throw new AlprError(ErrorCodes.STORE, 'the audit trail and notes need the unit key (store.keyFile)');
    return this.cipher;
  }

  private seal(v: unknown, aad: string): Buffer {
    return this.c.seal(Buffer.from(JSON.stringify(v), 'utf8'), aad);
  }

  private open<T>(v: string | Buffer, aad: string): T {
    return JSON.parse(typeof v === 'string' ? v : this.c.open(v, aad).toString('utf8')) as T;
  }

  /** A note column: sealed BLOB, or text written before sealing, or null. */
  private note(v: string | Buffer | null, aad: string): string | null {
    return v === null ? null : this.open<string>(typeof v === 'string' ? JSON.stringify(v) : v, aad);
  }

  /**
   * Throws AlprError (STORE) when the sealed part does not open (altered, or another key), or
   * carries another hash than the row's.
   */
  private toAudit(r: AuditDbRow): ReadAuditRow {
    const s: SealedAudit =
      typeof r.detail === 'string'
        ? { detail: JSON.parse(r.detail) as Record<string, unknown>, reason: r.reason }
        : this.open<SealedAudit>(r.detail, `audit:${r.seq}`);
    if (s.hash !== undefined && s.hash !== r.hash)
      throw new AlprError(ErrorCodes.STORE, `audit row ${r.seq}: its hash is not the one sealed with it`);
    return {
      bound: s.hash !== undefined,
      seq: r.seq,
      at: r.at,
      badge: r.badge,
      kind: r.kind,
      detail: s.detail,
      reason: s.reason,
      caseNumber: r.case_number,
      resultCount: r.result_count,
      ...(s.salt ? { salt: s.salt } : {}),
      prevHash: r.prev_hash,
      hash: r.hash,
    };
  }

  /** Seals what an older version wrote in clear (see legacy.ts); the hashes do not change. */
  migrate(): { audit: number; notes: number } {
    return sealClearRows(this.db, (v, aad) => this.seal(v, aad), NO_UPDATE);
  }

  /**
   * Replaces the roster with `entries` (the admins' list is the whole truth): keyed verifiers under
   * `rosterKey` (a push), or scrypt hashes keyed here (a roster file). Needs the cipher.
   */
  replaceRoster(entries: readonly RosterEntry[], now: number, rosterKey?: Buffer): void {
    this.roster.replace(entries, now, rosterKey);
  }

  rosterEntry(badge: string): RosterEntry | undefined {
    return this.roster.entry(badge);
  }

  /** The key of the stored verifiers (undefined: none stored yet). */
  rosterKey(): Buffer | undefined {
    return this.roster.rosterKey();
  }

  rosterSize(): number {
    return this.roster.size();
  }

  addShiftCheck(c: Omit<ShiftCheck, 'id'>): ShiftCheck {
    const r = this.db
      .prepare('INSERT INTO shift_checks (at, badge, all_green, lights, note) VALUES (?, ?, ?, ?, ?)')
      .run(
        c.at,
        c.badge,
        c.allGreen ? 1 : 0,
        JSON.stringify(c.lights),
        c.note === null ? null : this.seal(c.note, `shift_checks:${c.at}:${c.badge}`),
      );
    return { ...c, id: Number(r.lastInsertRowid) };
  }

  /** The latest start-of-shift check by `badge` since `since`, or null. */
  lastShiftCheck(badge: string, since: number): ShiftCheck | null {
    const r = this.db
      .prepare('SELECT * FROM shift_checks WHERE badge = ? AND at >= ? ORDER BY id DESC LIMIT 1')
      .get(badge, since) as
      | {
          id: number;
          at: number;
          badge: string;
          all_green: number;
          lights: string;
          note: string | Buffer | null;
        }
      | undefined;
    return r
      ? {
          id: r.id,
          at: r.at,
          badge: r.badge,
          allGreen: r.all_green === 1,
          lights: JSON.parse(r.lights),
          note: this.note(r.note, `shift_checks:${r.at}:${r.badge}`),
        }
      : null;
  }

  addHitAction(a: HitActionRow): void {
    this.db
      .prepare(
        'INSERT INTO hit_actions (hit_id, at, badge, action, from_state, to_state, reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        a.hitId,
        a.at,
        a.badge,
        a.action,
        a.from,
        a.to,
        a.reason,
        a.note === null ? null : this.seal(a.note, `hit_actions:${a.hitId}:${a.to}`),
      );
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
            note: string | Buffer | null;
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
          note: this.note(r.note, `hit_actions:${r.hit_id}:${r.to_state}`),
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
        const row = chainRow(last ? { seq: last.seq, hash: last.hash } : null, e);
        const sealed: SealedAudit = {
          detail: row.detail,
          reason: row.reason,
          salt: row.salt!,
          hash: row.hash,
        };
        this.db
          .prepare(
            'INSERT INTO audit (seq, at, badge, kind, detail, reason, case_number, result_count, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            row.seq,
            row.at,
            row.badge,
            row.kind,
            this.seal(sealed, `audit:${row.seq}`),
            null,
            row.caseNumber,
            row.resultCount,
            row.prevHash,
            row.hash,
          );
        const head: AuditHead = { seq: row.seq, hash: row.hash };
        this.db
          .prepare('INSERT OR REPLACE INTO audit_head (id, sealed) VALUES (1, ?)')
          .run(this.seal(head, 'audit-head'));
        return row;
      })
      .immediate();
  }

  /**
   * The latest `limit` audit rows (of `badge` only, when given), newest first; a row that does not
   * open shows as `unreadable`.
   */
  recentAudit(limit: number, badge?: string): AuditRow[] {
    const rows = (
      badge === undefined
        ? this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM audit WHERE badge = ? ORDER BY seq DESC LIMIT ?').all(badge, limit)
    ) as AuditDbRow[];
    return rows.map((r) => {
      try {
        const { bound: _bound, ...row } = this.toAudit(r);
        return row;
      } catch {
        const { bound: _bound, ...row } = this.toAudit({ ...r, detail: '{"unreadable":true}', reason: null });
        return { ...row, salt: undefined } as AuditRow;
      }
    });
  }

  /** Checks the whole chain (needs the key: it covers the plaintext). A row that does not open is bad. */
  verifyAudit(): ChainVerdict {
    const check = new ChainCheck();
    const seen = { bound: false };
    // in batches: the trail grows for years, and only one batch of rows is in memory at a time
    while (this.checkAuditBatch(check, 10_000, seen)) {}
    return this.checkHead(check, seen.bound);
  }

  /**
   * The same check in batches of `batchRows`, the event loop free between them (the trail grows
   * for years: at about 12 µs a row, 100,000 rows checked at once would hold the page and the
   * capture stage for over a second). Rows appended meanwhile are checked too.
   */
  async verifyAuditInBatches(batchRows = 2000): Promise<ChainVerdict> {
    const check = new ChainCheck();
    const seen = { bound: false };
    while (this.checkAuditBatch(check, batchRows, seen)) await new Promise((r) => setImmediate(r));
    return this.checkHead(check, seen.bound);
  }

  /**
   * The chain's end against the sealed head: a trail whose rows carry their sealed hashes must end
   * where its head says (rows removed from its end, or the head taken away, are found here).
   */
  private checkHead(check: ChainCheck, bound: boolean): ChainVerdict {
    const v = check.verdict();
    if (!v.ok || !bound) return v;
    const got = this.db.prepare('SELECT sealed FROM audit_head WHERE id = 1').get() as
      | { sealed: Buffer }
      | undefined;
    if (!got) return check.fail(check.lastSeq + 1, "the trail's sealed head is missing (rows removed?)");
    let head: AuditHead;
    try {
      head = this.open<AuditHead>(got.sealed, 'audit-head');
    } catch {
      return check.fail(check.lastSeq + 1, "the trail's sealed head does not open (altered)");
    }
    if (head.seq !== check.lastSeq || head.hash !== v.head)
      return check.fail(
        Math.min(head.seq, check.lastSeq + 1),
        `the trail ends at row ${check.lastSeq} but its sealed head is row ${head.seq} (rows removed or rewritten at its end)`,
      );
    return v;
  }

  /** verifyAuditInBatches, one at a time: callers that come while one runs share its verdict. */
  verifyAuditShared(): Promise<ChainVerdict> {
    this.auditCheck ??= this.verifyAuditInBatches().finally(() => {
      this.auditCheck = null;
    });
    return this.auditCheck;
  }

  /**
   * Checks the next rows after the last checked; false when the check is over (end or a bad row).
   * Once a row carries its sealed hash, every later one must (this version writes it on each).
   */
  private checkAuditBatch(check: ChainCheck, limit: number, seen: { bound: boolean }): boolean {
    const rows = this.db
      .prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?')
      // from the very first row, whatever its seq (a row slipped in before seq 1 is caught)
      .all(check.lastSeq === 0 ? Number.MIN_SAFE_INTEGER : check.lastSeq, limit) as AuditDbRow[];
    for (const r of rows) {
      let row: ReadAuditRow;
      try {
        row = this.toAudit(r);
      } catch (err) {
        check.fail(
          r.seq,
          (err as Error).message.includes('not the one sealed')
            ? 'its hash is not the one sealed with it (rewritten)'
            : 'its sealed content does not open (altered, or not this unit key)',
        );
        return false;
      }
      if (seen.bound && !row.bound) {
        check.fail(r.seq, 'it is not sealed with its hash as every row before it is (written into the file)');
        return false;
      }
      seen.bound ||= row.bound;
      if (check.add(row)) return false;
    }
    return rows.length === limit;
  }

  /** Stores a new session; `only` ends every other one (one operator per unit). */
  putSession(s: SessionRow, only: boolean): void {
    this.db.transaction(() => {
      if (only) this.db.prepare('DELETE FROM sessions').run();
      this.db
        .prepare(
          'INSERT INTO sessions (token_hash, badge, name, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(s.tokenHash, s.badge, s.name, s.createdAt, s.expiresAt, s.lastSeen);
    })();
  }

  /** Every stored session (the caller drops the dead ones). */
  sessions(): SessionRow[] {
    return (
      this.db.prepare('SELECT * FROM sessions').all() as {
        token_hash: string;
        badge: string;
        name: string;
        created_at: number;
        expires_at: number;
        last_seen: number;
      }[]
    ).map((r) => ({
      tokenHash: r.token_hash,
      badge: r.badge,
      name: r.name,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      lastSeen: r.last_seen,
    }));
  }

  touchSession(tokenHash: string, lastSeen: number): void {
    this.db.prepare('UPDATE sessions SET last_seen = ? WHERE token_hash = ?').run(lastSeen, tokenHash);
  }

  deleteSession(tokenHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
