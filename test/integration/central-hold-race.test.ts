/**
 * Two receivers of one agency's central store (each its own connection pool to one real
 * PostgreSQL 15) given hold commands at the same moment, as a broker's shared subscription or a
 * resend hands them out. Whatever the interleaving:
 * - a case's hold and its newer release given to the two together leave the reads unheld (the
 *   release is the last word), never the hold applied after the release;
 * - one command given to both applies once: one ledger row, one receiver reports the change;
 * - a receiver whose command waits behind a stuck one (a receiver cut off from the database while
 *   holding the unit's lock) gives up with an error after the lock timeout instead of holding up
 *   its messages, and one whose connection is cut while it waits fails that command, not the
 *   process; the command applies when sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/central/pg-client.ts';
import { PostgresCentralStore } from '../../src/central/pg-store.ts';
import type { SqlPort } from '../../src/central/sql-port.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import { type HoldCommand, signHoldCommand } from '../../src/sync/topics.ts';
import { hasPostgres, PG_SKIP_REASON, type PgCluster, startPostgres } from '../helpers/postgres.ts';

if (!hasPostgres) console.warn(`central-hold-race: skipped, ${PG_SKIP_REASON}`);

const ADMIN = generateAdminKey();
const UNIT = { agency: 'metro', id: 'unit-9' };
const CASES = 24;

const command = (id: string, action: 'hold' | 'release', ref: string, issuedAt: number): HoldCommand =>
  signHoldCommand(
    { id, unit: UNIT, action, ref, readIds: [`${ref}-r1`, `${ref}-r2`], issuedAt },
    ADMIN.privateKeyPem,
    'admin',
  );

/** What a receiver's apply came to: rows changed, or the refusal. */
const outcome = (p: Promise<number>) =>
  p.then(
    (n) => `changed ${n}`,
    (e: Error) => `refused ${e.message}`,
  );

describe.skipIf(!hasPostgres)('hold commands given to two receivers at once', () => {
  let pg: PgCluster;
  let sqlA: SqlPort;
  let sqlB: SqlPort;
  let a: PostgresCentralStore;
  let b: PostgresCentralStore;

  beforeAll(async () => {
    pg = await startPostgres();
    sqlA = await openPostgres(pg.url);
    sqlB = await openPostgres(pg.url);
    a = new PostgresCentralStore(sqlA, 90);
    b = new PostgresCentralStore(sqlB, 90);
    await a.start();
    await b.start();
  }, 60_000);

  afterAll(async () => {
    await sqlA?.end();
    await sqlB?.end();
    await pg?.stop();
  });

  const heldRefs = async () =>
    (
      await sqlA.query('SELECT DISTINCT ref FROM alpr_holds WHERE agency = $1 AND unit = $2 ORDER BY ref', [
        UNIT.agency,
        UNIT.id,
      ])
    ).rows.map((r) => String(r.ref));

  it('a hold and its newer release together leave no hold, in either order', async () => {
    const t0 = Date.now() - 60_000;
    const results: string[][] = [];
    for (let i = 0; i < CASES; i++) {
      const ref = `CASE-${i}`;
      const hold = command(`h-${i}`, 'hold', ref, t0 + i * 10);
      const release = command(`r-${i}`, 'release', ref, t0 + i * 10 + 5);
      // half the cases give the hold to the first receiver, half to the second
      const [toHold, toRelease] = i % 2 === 0 ? [a, b] : [b, a];
      results.push(
        await Promise.all([
          outcome(toHold.applyHold(hold, Date.now())),
          outcome(toRelease.applyHold(release, Date.now())),
        ]),
      );
    }
    expect(await heldRefs()).toEqual([]);
    // each pair went one of the two right ways: hold then release, or release with the hold refused
    for (const [h, r] of results) {
      if (h === 'changed 2') expect(r).toBe('changed 2');
      else {
        expect(h).toMatch(/^refused command h-\d+ was issued before the last release/);
        expect(r).toBe('changed 0');
      }
    }
  });

  it('a command behind a stuck one gives up after the lock timeout; a cut connection fails only that command', async () => {
    // a receiver that took the unit's lock and went quiet (its transaction left open)
    const stuck = await sqlB.connect!();
    await stuck.query('BEGIN');
    await stuck.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `alpr-hold/${UNIT.agency}/${UNIT.id}`,
    ]);
    const cmd = command('late-1', 'hold', 'LATE', Date.now());
    const t0 = Date.now();
    await expect(a.applyHold(cmd, Date.now())).rejects.toMatchObject({ code: 'ALPR_E_CENTRAL_STORE' });
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(9_000);
    expect(waited).toBeLessThan(30_000);
    // the next one waits too; its connection is cut while it waits (a failover, a DBA)
    // its failure is taken at once: it can arrive while the loop below still waits for its query
    const waiting = a.applyHold(cmd, Date.now()).then(
      () => null,
      (err: unknown) => err,
    );
    let cut = 0;
    for (let i = 0; i < 50 && cut === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { rows } = await sqlB.query(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'",
      );
      cut = rows.length;
    }
    expect(cut).toBe(1);
    expect(await waiting).toMatchObject({ code: 'ALPR_E_CENTRAL_STORE' });
    await stuck.query('ROLLBACK');
    stuck.release();
    // sent again, it applies: nothing of the failed tries was kept
    expect(await a.applyHold(cmd, Date.now())).toBe(2);
    expect(await heldRefs()).toContain('LATE');
  }, 60_000);

  it('one command given to both receivers applies once', async () => {
    const t0 = Date.now();
    for (let i = 0; i < CASES; i++) {
      const cmd = command(`same-${i}`, 'hold', `SAME-${i}`, t0 + i);
      const got = await Promise.all([
        outcome(a.applyHold(cmd, Date.now())),
        outcome(b.applyHold(cmd, Date.now())),
      ]);
      expect(got.sort()).toEqual(['changed 0', 'changed 2']);
      const { rows } = await sqlA.query('SELECT count(*) AS n FROM alpr_hold_log WHERE request_id = $1', [
        cmd.id,
      ]);
      expect(Number(rows[0]?.n)).toBe(1);
    }
    expect((await heldRefs()).filter((r) => r.startsWith('SAME-'))).toHaveLength(CASES);
  });

  it('one record stored by both receivers at once (two copies) is new once and a duplicate once, never a conflict', async () => {
    const conflicts = async () =>
      Number((await sqlA.query("SELECT n FROM alpr_counters WHERE k = 'conflicts'")).rows[0]?.n ?? 0);
    const before = await conflicts();
    const pairs = new Map<string, number>();
    for (let i = 0; i < 150; i++) {
      const r = {
        type: 'read',
        id: `copy-${i}`,
        agency: UNIT.agency,
        unit: UNIT.id,
        readId: `copy-${i}`,
        capturedAt: Date.now(),
        digest: 'd'.repeat(64),
        payload: `{"id":"copy-${i}"}`,
      };
      const got = (await Promise.all([a.put(r, Date.now()), b.put(r, Date.now())])).sort().join('+');
      pairs.set(got, (pairs.get(got) ?? 0) + 1);
    }
    expect([...pairs]).toEqual([['duplicate+new', 150]]);
    expect(await conflicts()).toBe(before);
  });
});
