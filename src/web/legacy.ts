/**
 * Rows an older version of the page wrote in clear (audit details and reasons as JSON text, notes
 * as text) are sealed on the first open with the unit key, in one transaction; then the WAL is
 * emptied so no clear copy is left in it (secure_delete, set by openWebDb, zeroes the freed cells).
 * The audit hashes do not change: they cover the plaintext. Legacy audit rows have no salt: their
 * hashes stay as they were (see audit.ts for why new rows carry one).
 */
import type Database from 'better-sqlite3';

export function sealClearRows(
  db: Database.Database,
  seal: (v: unknown, aad: string) => Buffer,
  noUpdateTrigger: string,
): { audit: number; notes: number } {
  const out = db
    .transaction(() => {
      const legacy = db
        .prepare("SELECT seq, detail, reason FROM audit WHERE typeof(detail) = 'text'")
        .all() as { seq: number; detail: string; reason: string | null }[];
      if (legacy.length) {
        // The append-only trigger is lifted for this one rewrite of the same content, then put back.
        db.exec('DROP TRIGGER IF EXISTS audit_no_update');
        const up = db.prepare('UPDATE audit SET detail = ?, reason = NULL WHERE seq = ?');
        for (const r of legacy)
          up.run(seal({ detail: JSON.parse(r.detail), reason: r.reason }, `audit:${r.seq}`), r.seq);
        db.exec(noUpdateTrigger);
      }
      let notes = 0;
      const hits = db
        .prepare("SELECT id, hit_id, to_state, note FROM hit_actions WHERE typeof(note) = 'text'")
        .all() as { id: number; hit_id: string; to_state: string; note: string }[];
      const upHit = db.prepare('UPDATE hit_actions SET note = ? WHERE id = ?');
      for (const r of hits)
        notes += upHit.run(seal(r.note, `hit_actions:${r.hit_id}:${r.to_state}`), r.id).changes;
      const checks = db
        .prepare("SELECT id, at, badge, note FROM shift_checks WHERE typeof(note) = 'text'")
        .all() as { id: number; at: number; badge: string | null; note: string }[];
      const upCheck = db.prepare('UPDATE shift_checks SET note = ? WHERE id = ?');
      for (const r of checks)
        notes += upCheck.run(seal(r.note, `shift_checks:${r.at}:${r.badge}`), r.id).changes;
      return { audit: legacy.length, notes };
    })
    .immediate();
  if (out.audit + out.notes > 0) db.pragma('wal_checkpoint(TRUNCATE)');
  return out;
}
