/**
 * What the PostgreSQL store needs of a database client: one parameterised statement at a time
 * ($1, $2… placeholders), rows back as objects. `pg`'s Pool has this shape (`new pg.Pool({
 * connectionString })`); most statements the store sends are single statements, so a pool may run
 * them on any of its connections. Those that must see each other's effects in order (hold
 * commands) run in a transaction on one connection taken with `connect` (pg's `Pool.connect`).
 */
export interface SqlRow {
  [column: string]: unknown;
}

export interface SqlPort {
  query(text: string, params?: readonly (string | number | null)[]): Promise<{ rows: SqlRow[] }>;
  /** One connection of the pool, given back with `release` (pg's PoolClient). */
  connect?(): Promise<SqlClient>;
  end(): Promise<void>;
}

export interface SqlClient {
  query(text: string, params?: readonly (string | number | null)[]): Promise<{ rows: SqlRow[] }>;
  /** Given back to the pool; with an error, the connection is closed instead. */
  release(err?: Error | boolean): void;
  /** A connection lost while checked out ('error'): pg's client is an EventEmitter. */
  on?(event: 'error', fn: (err: Error) => void): unknown;
  off?(event: 'error', fn: (err: Error) => void): unknown;
}
