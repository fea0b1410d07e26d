/**
 * What the PostgreSQL store needs of a database client: one parameterised statement at a time
 * ($1, $2… placeholders), rows back as objects. `pg`'s Pool has this shape (`new pg.Pool({
 * connectionString })`); every statement the store sends is a single statement (no client-side
 * transaction), so a pool may run them on any of its connections.
 */
export interface SqlRow {
  [column: string]: unknown;
}

export interface SqlPort {
  query(text: string, params?: readonly (string | number | null)[]): Promise<{ rows: SqlRow[] }>;
  end(): Promise<void>;
}
