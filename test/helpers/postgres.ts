/**
 * A throw-away PostgreSQL 15 cluster (Debian's postgresql-15): initdb in a temp folder, started
 * with pg_ctl on a Unix socket only (no TCP port), trust authentication for its one user. As root
 * the server runs as the `postgres` system user (initdb refuses root). Used by the central-store
 * tests.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export const PG_BIN = process.env.ALPR_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const hasPostgres = existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
export const PG_SKIP_REASON = `PostgreSQL 15 not installed (${PG_BIN}; apt-get install postgresql, or scripts/setup.sh --test)`;

export interface PgCluster {
  dir: string;
  /** The socket folder and port. */
  host: string;
  port: number;
  user: string;
  db: string;
  /** A connection string for the `pg` package (its Unix socket in the `host` parameter). */
  url: string;
  /** Stops the server as an operator's restart does (fast: connections cut), keeping its data. */
  halt(): void;
  /** Starts the halted server again, on the same socket and port. */
  resume(): void;
  stop(): Promise<void>;
}

/** Runs a PostgreSQL binary, as `postgres` when we are root. */
function pgRun(owner: string | null, bin: string, args: string[]): string {
  const exe = join(PG_BIN, bin);
  const [cmd, argv] = owner ? ['runuser', ['-u', owner, '--', exe, ...args]] : [exe, args];
  return execFileSync(cmd as string, argv as string[], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
}

export async function startPostgres(): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'alpr-pg-'));
  const owner = userInfo().uid === 0 ? 'postgres' : null;
  if (owner) {
    const pw = execFileSync('id', ['-u', owner], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', owner], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(pw), Number(gid));
  }
  const data = join(dir, 'data');
  const user = 'alpr';
  const port = await freePort();
  pgRun(owner, 'initdb', ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = () =>
    pgRun(owner, 'pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-o',
      `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off`,
      'start',
    ]);
  start();
  const c: PgCluster = {
    dir,
    host: dir,
    port,
    user,
    db: 'postgres',
    url: `postgresql://${user}@localhost:${port}/postgres?host=${encodeURIComponent(dir)}`,
    halt() {
      pgRun(owner, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume() {
      start();
    },
    async stop() {
      try {
        pgRun(owner, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return c;
}
