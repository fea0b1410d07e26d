/**
 * Wrong-PIN throttle state in the page's database (table `pin_throttle`), scopes `badge` (across
 * addresses) and `badge-address` (the unit-wide pace is kept in memory only: it slows, it never
 * locks). Badges, addresses and counts only: nothing here is sealed.
 */
import type Database from 'better-sqlite3';
import type { ThrottleState, ThrottleStore } from './pin.ts';
import type { HomeAddresses } from './signin.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS pin_throttle (
  scope TEXT NOT NULL, key TEXT NOT NULL, failures INTEGER NOT NULL, locked_until INTEGER NOT NULL,
  lockouts INTEGER NOT NULL, PRIMARY KEY (scope, key)
)`;

export function throttleTable(db: Database.Database, scope: string): ThrottleStore {
  db.exec(SCHEMA);
  const put = db.prepare(
    'INSERT OR REPLACE INTO pin_throttle (scope, key, failures, locked_until, lockouts) VALUES (?, ?, ?, ?, ?)',
  );
  const del = db.prepare('DELETE FROM pin_throttle WHERE scope = ? AND key = ?');
  return {
    load() {
      const rows = db
        .prepare('SELECT key, failures, locked_until, lockouts FROM pin_throttle WHERE scope = ?')
        .all(scope) as { key: string; failures: number; locked_until: number; lockouts: number }[];
      return rows.map((r): [string, ThrottleState] => [
        r.key,
        { failures: r.failures, lockedUntil: r.locked_until, lockouts: r.lockouts },
      ]);
    },
    save(key, state) {
      if (state) put.run(scope, key, state.failures, state.lockedUntil, state.lockouts);
      else del.run(scope, key);
    },
  };
}

/**
 * Where each badge last signed in (table `pin_home`): its officer's screen, which tries from other
 * addresses never lock (signin.ts). Only a right PIN writes a row, so the table is as large as the
 * roster at most.
 */
export function homeTable(db: Database.Database): HomeAddresses {
  db.exec(
    'CREATE TABLE IF NOT EXISTS pin_home (badge TEXT PRIMARY KEY, address TEXT NOT NULL, at INTEGER NOT NULL)',
  );
  const get = db.prepare('SELECT address FROM pin_home WHERE badge = ?').pluck();
  const put = db.prepare('INSERT OR REPLACE INTO pin_home (badge, address, at) VALUES (?, ?, ?)');
  return {
    get: (badge) => get.get(badge) as string | undefined,
    set: (badge, address) => {
      put.run(badge, address, Date.now());
    },
  };
}
