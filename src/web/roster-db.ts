/**
 * The roster table of the page's database, holding keyed PIN verifiers only (pin.ts): never a
 * scrypt hash an offline search could test guesses against. The roster key sits beside it in
 * `roster_key`, sealed with the unit's field cipher (store key, context `web`), so a copy of the
 * card without the store key (sealed to the TPM) holds verifiers nobody can test a PIN against.
 *
 * - An admin's push brings its own key (opened with the unit's TLS key) and verifiers under it.
 * - A roster file (`alpr roster import`) brings scrypt hashes: they are keyed here under a fresh key.
 * - Rows an earlier release stored as scrypt hashes are keyed on the first open with the cipher
 *   (`migrate`), then the WAL is emptied (secure_delete zeroes the freed cells).
 */
import type Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { keyPinHash, newRosterKey, parsePinVerifier } from './pin.ts';
import type { RosterEntry } from './roster.ts';

export const ROSTER_KEY_SCHEMA =
  'CREATE TABLE IF NOT EXISTS roster_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);';
const AAD = 'roster_key';

interface Crypt {
  seal(data: Buffer, aad: string): Buffer;
  open(blob: Buffer, aad: string): Buffer;
}

export class RosterTable {
  /** undefined = not read yet; null = none stored. */
  private key: Buffer | null | undefined;
  /** The sealed key the cached one was opened from (null: none stored). */
  private keyBlob: Buffer | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly crypt: () => Crypt,
  ) {}

  /**
   * Replaces the roster. With `rosterKey` (an admin's push) every entry must be a keyed verifier
   * under it; without, every entry must be a scrypt hash, keyed now under a fresh key.
   */
  replace(entries: readonly RosterEntry[], now: number, rosterKey?: Buffer): void {
    const key = rosterKey ?? newRosterKey();
    const rows = entries.map((e) => {
      const v = rosterKey ? (parsePinVerifier(e.pinHash) ? e.pinHash : null) : keyPinHash(e.pinHash, key);
      if (!v)
        throw new AlprError(
          ErrorCodes.INPUT,
          `roster entry ${e.badge}: ${rosterKey ? 'not a keyed verifier' : 'not a scrypt hash'}`,
        );
      return { ...e, pinHash: v };
    });
    const sealed = this.crypt().seal(key, AAD);
    const ins = this.db.prepare(
      'INSERT INTO roster (badge, name, trained, pin_hash, expires, imported_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM roster').run();
      for (const e of rows) ins.run(e.badge, e.name, e.trained ? 1 : 0, e.pinHash, e.expires, now);
      this.db.prepare('INSERT OR REPLACE INTO roster_key (id, key) VALUES (1, ?)').run(sealed);
    })();
    this.key = Buffer.from(key);
    this.keyBlob = sealed;
  }

  entry(badge: string): RosterEntry | undefined {
    const r = this.db.prepare('SELECT * FROM roster WHERE badge = ?').get(badge) as
      | { badge: string; name: string; trained: number; pin_hash: string; expires: number | null }
      | undefined;
    return (
      r && { badge: r.badge, name: r.name, trained: r.trained === 1, pinHash: r.pin_hash, expires: r.expires }
    );
  }

  size(): number {
    return this.db.prepare('SELECT count(*) FROM roster').pluck().get() as number;
  }

  /**
   * The roster key, opened with the cipher; undefined when no roster was stored in this format.
   * Read again whenever the stored (sealed) key changes: `alpr roster import` on a running unit
   * writes a new key with its verifiers, and a key kept from before would fail every right PIN.
   */
  rosterKey(): Buffer | undefined {
    const blob = this.db.prepare('SELECT key FROM roster_key WHERE id = 1').pluck().get() as
      | Buffer
      | undefined;
    if (this.key === undefined || !sameBlob(blob, this.keyBlob)) {
      this.key = blob ? this.crypt().open(blob, AAD) : null;
      this.keyBlob = blob ?? null;
    }
    return this.key ?? undefined;
  }

  /** Keys the scrypt hashes an earlier release stored; returns how many rows changed. */
  migrate(): number {
    const plain = this.db
      .prepare("SELECT badge, pin_hash FROM roster WHERE pin_hash NOT LIKE 'hscrypt$%'")
      .all() as { badge: string; pin_hash: string }[];
    if (plain.length === 0) return 0;
    const key = this.rosterKey() ?? newRosterKey();
    const sealed = this.crypt().seal(key, AAD);
    const up = this.db.prepare('UPDATE roster SET pin_hash = ? WHERE badge = ?');
    this.db.transaction(() => {
      // A row that is no scrypt hash could never sign in: it is dropped rather than kept as is.
      for (const r of plain) {
        const v = keyPinHash(r.pin_hash, key);
        if (v) up.run(v, r.badge);
        else this.db.prepare('DELETE FROM roster WHERE badge = ?').run(r.badge);
      }
      this.db.prepare('INSERT OR REPLACE INTO roster_key (id, key) VALUES (1, ?)').run(sealed);
    })();
    this.key = Buffer.from(key);
    this.keyBlob = sealed;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return plain.length;
  }
}

function sameBlob(a: Buffer | undefined, b: Buffer | null): boolean {
  return a === undefined ? b === null : b !== null && a.equals(b);
}
