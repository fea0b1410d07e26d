/**
 * Reads stamped by a unit whose clock was not yet set (an RTC-less board boots in its image's
 * past) reach the central store in real PostgreSQL 15 with a capture time years old. Their age is
 * unknown: the purge counts it from when the server got them, so they are kept the policy's
 * minimum (rule 8) instead of purged at the first run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/central/pg-client.ts';
import { PostgresCentralStore } from '../../src/central/pg-store.ts';
import { DAY_MS } from '../../src/central/retention.ts';
import type { SqlPort } from '../../src/central/sql-port.ts';
import { parseUnitMessage } from '../../src/central/store.ts';
import { payloads, topics } from '../../src/sync/topics.ts';
import { hasPostgres, PG_SKIP_REASON, type PgCluster, startPostgres } from '../helpers/postgres.ts';
import { makeHit, makeRead } from '../helpers/sync-fixtures.ts';

if (!hasPostgres) console.warn(`central-clock-floor: skipped, ${PG_SKIP_REASON}`);

const UNIT = { agency: 'metro', id: 'unit-3' };

describe.skipIf(!hasPostgres)('central retention of reads stamped by a clock not yet set', () => {
  let pg: PgCluster;
  let sql: SqlPort;
  let store: PostgresCentralStore;

  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPostgres(pg.url);
    store = new PostgresCentralStore(sql, 90);
    await store.start();
  }, 60_000);

  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
  });

  const put = async (topic: string, body: unknown, receivedAt: number) => {
    const m = parseUnitMessage('alpr', topic, Buffer.from(JSON.stringify(body)));
    if (m.kind !== 'record') throw new Error(`not a record: ${m.kind}`);
    expect(await store.put(m.record, receivedAt)).toBe('new');
  };

  it('keeps them 90 days from arrival, where a read of known age goes', async () => {
    const now = Date.now();
    const t = topics('alpr', UNIT);
    const undated = makeRead(1, Date.UTC(2023, 5, 1), 'read-unset-clock');
    const old = makeRead(2, now - 100 * DAY_MS, 'read-100d');
    await put(t.read, payloads.read(UNIT, undated, now), now);
    await put(t.hit, payloads.hit(UNIT, makeHit(undated, 'hit-unset-clock'), now), now);
    await put(
      t.image,
      payloads.image(UNIT, 'read-unset-clock:plate', undated.id, 'plate', Buffer.from('jpeg'), now),
      now,
    );
    await put(t.read, payloads.read(UNIT, old, now - 100 * DAY_MS), now - 100 * DAY_MS);

    const first = await store.purge(now);
    expect(first.purged).toBe(1);
    expect(await store.ids('read')).toEqual(['read-unset-clock']);
    expect(await store.ids('hit')).toEqual(['hit-unset-clock']);
    expect(await store.ids('image')).toEqual(['read-unset-clock:plate']);

    expect((await store.purge(now + 89 * DAY_MS)).purged).toBe(0);
    const later = await store.purge(now + 91 * DAY_MS);
    expect(later.purged).toBe(3);
    // the purge log gives the age it went by: its arrival
    expect(later.oldest).toBe(now);
    expect(await store.ids('read')).toEqual([]);
  });

  it('ages a read stamped ahead of its arrival (a unit clock set ahead) from its arrival: never kept past the maximum', async () => {
    const now = Date.now();
    const t = topics('alpr', UNIT);
    const ahead = makeRead(3, now + 3 * 365 * DAY_MS, 'read-clock-ahead');
    await put(t.read, payloads.read(UNIT, ahead, now), now);
    expect((await store.purge(now + 89 * DAY_MS)).purged).toBe(0);
    expect((await store.purge(now + 91 * DAY_MS)).purged).toBe(1);
    expect(await store.ids('read')).toEqual([]);
  });
});
