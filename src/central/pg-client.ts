/**
 * Opens the agency's PostgreSQL through the `pg` package's Pool (which has the SqlPort shape).
 * `pg` is loaded only when a PostgreSQL store is asked for: the unit never needs it, and a
 * receiver without it says so with a coded error instead of failing at start-up.
 */
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { SqlPort } from './sql-port.ts';

type Pool = SqlPort & { on(event: 'error', fn: (err: Error) => void): unknown };
type PoolCtor = new (o: { connectionString: string; max?: number }) => Pool;

/**
 * `onIdleError` hears of an idle pooled connection the server closed (a restart, a failover):
 * the pool drops it and opens another when needed. Without a listener that would end the process.
 */
export async function openPostgres(
  connectionString: string,
  max = 4,
  onIdleError: (err: Error) => void = () => {},
): Promise<SqlPort> {
  // A variable specifier: the type checker does not look for a package that may be absent.
  const name = 'pg';
  let mod: { Pool?: PoolCtor; default?: { Pool?: PoolCtor } };
  try {
    mod = (await import(name)) as typeof mod;
  } catch {
    throw new AlprError(
      ErrorCodes.CENTRAL_STORE,
      'the PostgreSQL store needs the npm package "pg" (npm install pg) beside the receiver',
    );
  }
  const Pool = mod.Pool ?? mod.default?.Pool;
  if (!Pool) throw new AlprError(ErrorCodes.CENTRAL_STORE, 'the "pg" package has no Pool');
  const pool = new Pool({ connectionString, max });
  pool.on('error', onIdleError);
  return pool;
}
