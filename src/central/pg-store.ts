/**
 * The central store in PostgreSQL, as an agency runs it: every unit record once per (type, id),
 * retention by policy rule 8 (detection data kept `retentionDays`, 90 to 730, then purged unless a
 * legal hold names its read), holds set and released only by signed commands (holds.ts), and a
 * purge log. Every statement is one statement, so any pooled connection may run it, but a hold
 * command's checks and change, which run in one transaction under a lock per unit.
 */
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { CLOCK_FLOOR_MS } from '../domain/policy.ts';
import type { TallyBucket } from '../domain/ports.ts';
import { toBuckets } from '../domain/tally.ts';
import type { HoldCommand } from '../sync/topics.ts';
import { checkRetentionDays, type PurgeEntry, purgeCutoff } from './retention.ts';
import type { SqlClient, SqlPort } from './sql-port.ts';
import type { CentralRecord, CentralStore, PutOutcome } from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alpr_records (
  type text NOT NULL, id text NOT NULL, agency text NOT NULL, unit text NOT NULL,
  read_id text, captured_at timestamptz, received_at timestamptz NOT NULL,
  digest text NOT NULL, payload text NOT NULL,
  PRIMARY KEY (type, id)
);
CREATE INDEX IF NOT EXISTS alpr_records_captured ON alpr_records (captured_at) WHERE type IN ('read', 'hit', 'image');
CREATE INDEX IF NOT EXISTS alpr_records_read ON alpr_records (agency, unit, read_id);
CREATE INDEX IF NOT EXISTS alpr_records_unit_captured ON alpr_records (agency, unit, captured_at) WHERE type IN ('read', 'hit');
CREATE TABLE IF NOT EXISTS alpr_counters (k text PRIMARY KEY, n bigint NOT NULL);
CREATE TABLE IF NOT EXISTS alpr_unit_status (
  agency text NOT NULL, unit text NOT NULL, state text NOT NULL, at timestamptz NOT NULL,
  PRIMARY KEY (agency, unit)
);
CREATE TABLE IF NOT EXISTS alpr_holds (
  agency text NOT NULL, unit text NOT NULL, read_id text NOT NULL, ref text NOT NULL,
  set_at timestamptz NOT NULL, key_id text NOT NULL, request_id text NOT NULL,
  PRIMARY KEY (agency, unit, read_id, ref)
);
CREATE TABLE IF NOT EXISTS alpr_hold_log (
  seq bigserial PRIMARY KEY, at timestamptz NOT NULL, request_id text NOT NULL, action text NOT NULL,
  agency text NOT NULL, unit text NOT NULL, ref text NOT NULL, key_id text NOT NULL,
  read_ids integer NOT NULL, changed integer NOT NULL
);
ALTER TABLE alpr_hold_log ADD COLUMN IF NOT EXISTS issued_at bigint;
ALTER TABLE alpr_hold_log ADD COLUMN IF NOT EXISTS sig text;
CREATE INDEX IF NOT EXISTS alpr_hold_log_ref ON alpr_hold_log (agency, unit, ref, issued_at);
CREATE INDEX IF NOT EXISTS alpr_hold_log_request ON alpr_hold_log (agency, unit, request_id);
CREATE TABLE IF NOT EXISTS alpr_purge_log (
  seq bigserial PRIMARY KEY, at timestamptz NOT NULL, cutoff timestamptz NOT NULL,
  retention_days integer NOT NULL, purged bigint NOT NULL, held_kept bigint NOT NULL,
  oldest timestamptz, newest timestamptz
);
`;

/**
 * A record's capture time: its own, else its read's (images), else when the server got it; a time
 * before the clock floor (a unit's clock not yet set) is no age at all, and counts as when the
 * server got the record: purged by that, never at once. A time after the record's arrival (a unit
 * clock set ahead) counts as its arrival: nothing is kept past the maximum by a wrong clock.
 */
const STAMPED = `coalesce(r.captured_at,
  (SELECT x.captured_at FROM alpr_records x WHERE x.type = 'read' AND x.id = r.read_id),
  r.received_at)`;
const CAPTURED = `(SELECT CASE WHEN s.at < to_timestamp(${CLOCK_FLOOR_MS / 1000}) THEN r.received_at
  ELSE least(s.at, r.received_at) END FROM (SELECT ${STAMPED} AS at) s)`;
const HELD = `EXISTS (SELECT 1 FROM alpr_holds h
  WHERE h.agency = r.agency AND h.unit = r.unit AND h.read_id = r.read_id)`;
const PAST = `r.type IN ('read', 'hit', 'image') AND ${CAPTURED} < to_timestamp($1::double precision / 1000)`;

const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));
const epochMs = (col: string) => `round(extract(epoch FROM ${col}) * 1000)`;

export class PostgresCentralStore implements CentralStore {
  private readonly days: number;

  /** `retentionDays` is checked against the policy's bounds here, before anything is opened. */
  constructor(
    private readonly sql: SqlPort,
    retentionDays: number,
  ) {
    this.days = checkRetentionDays(retentionDays);
  }

  async start(): Promise<void> {
    for (const stmt of SCHEMA.split(';')
      .map((s) => s.trim())
      .filter(Boolean))
      await this.run(stmt);
  }

  async put(r: CentralRecord, receivedAt: number): Promise<PutOutcome> {
    // The CTE's SELECT sees the table as it was before the INSERT: a digest means it was there.
    const { rows } = await this.run(
      `WITH ins AS (
        INSERT INTO alpr_records (type, id, agency, unit, read_id, captured_at, received_at, digest, payload)
        VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000), to_timestamp($7::double precision / 1000), $8, $9)
        ON CONFLICT (type, id) DO NOTHING RETURNING 1)
      SELECT (SELECT count(*) FROM ins) AS inserted,
        (SELECT digest FROM alpr_records WHERE type = $1 AND id = $2) AS digest`,
      [r.type, r.id, r.agency, r.unit, r.readId, r.capturedAt, receivedAt, r.digest, r.payload],
    );
    if (Number(rows[0]?.inserted) === 1) return 'new';
    let digest = rows[0]?.digest;
    if (digest == null) {
      // Inserted by another receiver while this statement ran: its snapshot shows no row, the
      // conflict target does. A statement of its own sees it (committed: the insert waited for it).
      const again = await this.run('SELECT digest FROM alpr_records WHERE type = $1 AND id = $2', [
        r.type,
        r.id,
      ]);
      digest = again.rows[0]?.digest;
    }
    const outcome: PutOutcome = digest === r.digest ? 'duplicate' : 'conflict';
    await this.bump('duplicates');
    if (outcome === 'conflict') await this.bump('conflicts');
    return outcome;
  }

  async status(agency: string, unit: string, state: string, at: number): Promise<void> {
    await this.run(
      `INSERT INTO alpr_unit_status (agency, unit, state, at) VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000))
       ON CONFLICT (agency, unit) DO UPDATE SET state = excluded.state, at = excluded.at`,
      [agency, unit, state, at],
    );
  }

  async malformed(): Promise<void> {
    await this.bump('malformed');
  }

  /**
   * Applies a hold or release that holds.ts has verified: a hold protects the read and every
   * record naming it (hits, images) from purges; a release removes that ref's hold only.
   * Returns how many hold rows changed; logged either way. Each command applies once (the same
   * one delivered again, to this receiver or another, changes nothing), and never undoes a later
   * command of the other action for its unit and ref: a release issued before the last hold applied
   * (an old release sent again after the case was held again), or a hold before the last release,
   * is refused (ALPR_E_INPUT), as is an id used by another.
   */
  async applyHold(cmd: HoldCommand, now: number): Promise<number> {
    return this.inTransaction(async (db) => {
      // One command of a unit at a time, whichever receiver has it: two receivers given a hold and
      // a newer release of one case together would each pass the checks below without the other's
      // change, and the hold could land after the release. The lock lasts until the commit.
      await this.run(
        'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
        [`alpr-hold/${cmd.agency}/${cmd.unit}`],
        db,
      );
      return this.applyHoldLocked(cmd, now, db);
    });
  }

  /** applyHold's checks and change, in its transaction. */
  private async applyHoldLocked(cmd: HoldCommand, now: number, db: SqlClient): Promise<number> {
    const { rows: seen } = await this.run(
      `SELECT sig FROM alpr_hold_log WHERE agency = $1 AND unit = $2 AND request_id = $3 AND sig IS NOT NULL LIMIT 1`,
      [cmd.agency, cmd.unit, cmd.id],
      db,
    );
    if (seen[0]) {
      if (seen[0].sig === cmd.sig) return 0;
      throw new AlprError(ErrorCodes.INPUT, `command id ${cmd.id} was used by another command already`);
    }
    const other = cmd.action === 'hold' ? 'release' : 'hold';
    const { rows: last } = await this.run(
      'SELECT max(issued_at) AS last FROM alpr_hold_log WHERE agency = $1 AND unit = $2 AND ref = $3 AND action = $4',
      [cmd.agency, cmd.unit, cmd.ref, other],
      db,
    );
    const lastAt = ms(last[0]?.last);
    if (lastAt !== null && lastAt >= cmd.issuedAt)
      throw new AlprError(
        ErrorCodes.INPUT,
        `command ${cmd.id} was issued before the last ${other} applied for ${cmd.ref} (${new Date(lastAt).toISOString()}): an old command sent again?`,
      );
    const ids = cmd.readIds.join(',');
    const change =
      cmd.action === 'hold'
        ? `INSERT INTO alpr_holds (agency, unit, read_id, ref, set_at, key_id, request_id)
           SELECT $1, $2, x, $3, to_timestamp($4::double precision / 1000), $6, $7
           FROM unnest(string_to_array($5, ',')) AS x ON CONFLICT DO NOTHING RETURNING 1`
        : `DELETE FROM alpr_holds WHERE agency = $1 AND unit = $2 AND ref = $3
           AND read_id = ANY (string_to_array($5, ',')) RETURNING 1`;
    const { rows } = await this.run(
      `WITH c AS (${change})
       INSERT INTO alpr_hold_log (at, request_id, action, agency, unit, ref, key_id, read_ids, changed, issued_at, sig)
       SELECT to_timestamp($4::double precision / 1000), $7, $8, $1, $2, $3, $6, $9, (SELECT count(*) FROM c), $10, $11
       RETURNING changed`,
      [
        cmd.agency,
        cmd.unit,
        cmd.ref,
        now,
        ids,
        cmd.keyId,
        cmd.id,
        cmd.action,
        cmd.readIds.length,
        cmd.issuedAt,
        cmd.sig,
      ],
      db,
    );
    return Number(rows[0]?.changed ?? 0);
  }

  /** One unit's reads and hits per hour of capture, for the given hours (reconciliation). */
  async stored(agency: string, unit: string, hours: readonly number[]): Promise<TallyBucket[]> {
    if (hours.length === 0) return [];
    const { rows } = await this.run(
      `SELECT h.h AS h, r.type, count(*) AS n
       FROM unnest(string_to_array($3, ',')::bigint[]) AS h(h)
       JOIN alpr_records r ON r.agency = $1 AND r.unit = $2 AND r.type IN ('read', 'hit')
         AND r.captured_at >= to_timestamp(h.h / 1000.0) AND r.captured_at < to_timestamp((h.h + 3600000) / 1000.0)
       GROUP BY h.h, r.type`,
      [agency, unit, hours.join(',')],
    );
    const of = (t: string) =>
      rows.filter((r) => r.type === t).map((r) => ({ h: Number(r.h), n: Number(r.n) }));
    return toBuckets(of('read'), of('hit'));
  }

  /** Deletes the detection data past retention that no hold names, and logs the purge. */
  async purge(now: number): Promise<PurgeEntry> {
    const cutoff = purgeCutoff(now, this.days);
    const { rows } = await this.run(
      `WITH doomed AS (SELECT r.type, r.id, ${CAPTURED} AS at FROM alpr_records r WHERE ${PAST} AND NOT ${HELD}),
      del AS (DELETE FROM alpr_records r USING doomed d WHERE r.type = d.type AND r.id = d.id RETURNING d.at)
      INSERT INTO alpr_purge_log (at, cutoff, retention_days, purged, held_kept, oldest, newest)
      SELECT to_timestamp($2::double precision / 1000), to_timestamp($1::double precision / 1000), $3,
        (SELECT count(*) FROM del),
        (SELECT count(*) FROM alpr_records r WHERE ${PAST} AND ${HELD}),
        (SELECT min(at) FROM del), (SELECT max(at) FROM del)
      RETURNING purged, held_kept, ${epochMs('oldest')} AS oldest, ${epochMs('newest')} AS newest`,
      [cutoff, now, this.days],
    );
    const r = rows[0] ?? {};
    return {
      at: now,
      cutoff,
      retentionDays: this.days,
      purged: Number(r.purged ?? 0),
      heldKept: Number(r.held_kept ?? 0),
      oldest: ms(r.oldest),
      newest: ms(r.newest),
    };
  }

  /** The purge log, oldest first. */
  async purgeLog(): Promise<PurgeEntry[]> {
    const { rows } = await this.run(
      `SELECT ${epochMs('at')} AS at, ${epochMs('cutoff')} AS cutoff, retention_days, purged, held_kept,
        ${epochMs('oldest')} AS oldest, ${epochMs('newest')} AS newest FROM alpr_purge_log ORDER BY seq`,
    );
    return rows.map((r) => ({
      at: ms(r.at)!,
      cutoff: ms(r.cutoff)!,
      retentionDays: Number(r.retention_days),
      purged: Number(r.purged),
      heldKept: Number(r.held_kept),
      oldest: ms(r.oldest),
      newest: ms(r.newest),
    }));
  }

  /** Ids of one type (for reports and tests). */
  async ids(type: string): Promise<string[]> {
    const { rows } = await this.run('SELECT id FROM alpr_records WHERE type = $1 ORDER BY id', [type]);
    return rows.map((r) => String(r.id));
  }

  async counter(k: string): Promise<number> {
    const { rows } = await this.run('SELECT n FROM alpr_counters WHERE k = $1', [k]);
    return Number(rows[0]?.n ?? 0);
  }

  async stop(): Promise<void> {
    await this.sql.end();
  }

  private bump(k: string): Promise<unknown> {
    return this.run(
      'INSERT INTO alpr_counters (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = alpr_counters.n + 1',
      [k],
    );
  }

  /**
   * `fn` in one transaction on one connection: committed when it returns, rolled back when it
   * throws. A lock not granted in 10 s, or a transaction left idle 30 s (a receiver cut off from
   * the database while it holds the lock), ends in an error instead of holding up every receiver's
   * messages behind it; the command is not acknowledged, so the broker sends it again. A connection
   * that breaks meanwhile is thrown away, not handed back to the pool.
   */
  private async inTransaction<T>(fn: (db: SqlClient) => Promise<T>): Promise<T> {
    if (!this.sql.connect)
      throw new AlprError(
        ErrorCodes.CENTRAL_STORE,
        'central store: the database client cannot run transactions',
      );
    let db: SqlClient;
    try {
      db = await this.sql.connect();
    } catch (err) {
      throw new AlprError(ErrorCodes.CENTRAL_STORE, `central store: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // a checked-out client's connection error would otherwise be an uncaught 'error' event
    let broken: Error | null = null;
    const onError = (err: Error) => {
      broken = err;
    };
    db.on?.('error', onError);
    try {
      await this.run('BEGIN', [], db);
      await this.run("SET LOCAL lock_timeout = '10s'", [], db);
      await this.run("SET LOCAL idle_in_transaction_session_timeout = '30s'", [], db);
      const out = await fn(db);
      await this.run('COMMIT', [], db);
      return out;
    } catch (err) {
      await db.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken ??= rollbackErr;
      });
      throw err;
    } finally {
      db.off?.('error', onError);
      db.release(broken ?? undefined);
    }
  }

  private async run(
    text: string,
    params: (string | number | null)[] = [],
    db: SqlClient | SqlPort = this.sql,
  ) {
    try {
      return await db.query(text, params);
    } catch (err) {
      // SQLSTATE class 22 (data exception: a value out of range, a byte sequence the encoding
      // refuses) is the message's fault, never the database's: sent again, it fails again
      const code = (err as { code?: unknown }).code;
      const refused = typeof code === 'string' && code.startsWith('22');
      throw new AlprError(
        refused ? ErrorCodes.INPUT : ErrorCodes.CENTRAL_STORE,
        `central store: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
