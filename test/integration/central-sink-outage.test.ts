/**
 * The reference receiver against a real PostgreSQL and Mosquitto, when the database fails:
 * - PostgreSQL restarted by an operator (down for seconds): the messages that arrived meanwhile
 *   are not acknowledged, and the receiver reconnects so that the broker sends them again; every
 *   read is stored once the database is back, with no restart of the receiver (before, Mosquitto
 *   held them unacknowledged until the receiver restarted, and after 100 the receiver got nothing);
 * - messages no database can keep (an id with a NUL, a time in the year -271821 or 1e20 ms):
 *   counted as malformed and acknowledged, so that 120 of them ahead of a good read do not block it;
 * - a message the store refuses for its content (ALPR_E_INPUT): counted and acknowledged, too.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/central/pg-client.ts';
import { PostgresCentralStore } from '../../src/central/pg-store.ts';
import type { SqlPort } from '../../src/central/sql-port.ts';
import type { CentralStore } from '../../src/central/store.ts';
import { AlprError, ErrorCodes } from '../../src/domain/errors.ts';
import { CentralSink } from '../../src/sync/sink.ts';
import { payloads, topics } from '../../src/sync/topics.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { hasPostgres, PG_SKIP_REASON, type PgCluster, startPostgres } from '../helpers/postgres.ts';
import { makeRead, waitFor } from '../helpers/sync-fixtures.ts';

/** Polls an answer from the database until it holds. */
async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const UNIT = { agency: 'metro', id: 'unit-3' };
const ready = hasPostgres && hasMosquitto;
if (!hasPostgres) console.warn(`central-sink-outage: skipped, ${PG_SKIP_REASON}`);
else if (!hasMosquitto) console.warn('central-sink-outage: skipped, mosquitto not installed');

describe.skipIf(!ready)('the receiver when PostgreSQL fails', () => {
  let pg: PgCluster;
  let broker: Broker;
  let sql: SqlPort;
  let sink: CentralSink;
  let unit: MqttClient;
  const t = topics('alpr', UNIT);
  const errors: string[] = [];

  const send = (topic: string, body: unknown) =>
    unit.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const stored = async (ids: string[]) => {
    const { rows } = await sql.query('SELECT id FROM alpr_records WHERE id = ANY($1)', [ids as never]);
    return rows.length;
  };
  const counter = async (k: string) => {
    const { rows } = await sql.query('SELECT n FROM alpr_counters WHERE k = $1', [k]);
    return Number(rows[0]?.n ?? 0);
  };

  beforeAll(async () => {
    pg = await startPostgres();
    broker = await startMosquitto({ persistence: false });
    sql = await openPostgres(pg.url);
    sink = new CentralSink({
      url: broker.url,
      store: new PostgresCentralStore(await openPostgres(pg.url), 90),
      topicBase: 'alpr',
      redeliverMs: 500,
      onStoreError: (err) => errors.push((err as Error).message),
    });
    await sink.start();
    unit = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  }, 60_000);

  afterAll(async () => {
    await unit?.endAsync();
    await sink?.stop();
    await sql?.end();
    await destroyMosquitto(broker);
    await pg?.stop();
  });

  it('stores what arrived while the database was down once it is back, with no restart', async () => {
    const before = Array.from({ length: 5 }, (_, i) => makeRead(i, Date.now(), `pre-${i}`));
    for (const r of before) await send(t.read, payloads.read(UNIT, r, Date.now()));
    await until(async () => (await stored(before.map((r) => r.id))) === 5, 10_000, 'stored before');
    pg.halt();
    // more than the broker's 100 messages in flight: all of them wait for the database
    const during = Array.from({ length: 130 }, (_, i) => makeRead(100 + i, Date.now(), `down-${i}`));
    for (const r of during) await send(t.read, payloads.read(UNIT, r, Date.now()));
    await waitFor(() => errors.length > 0, 10_000, 'a store error while down');
    await new Promise((r) => setTimeout(r, 2000));
    pg.resume();
    await until(
      async () => (await stored(during.map((r) => r.id))) === during.length,
      30_000,
      'every read sent while the database was down',
    );
    expect(sink.stats.redeliveries).toBeGreaterThan(0);
    expect(await counter('conflicts')).toBe(0);
  }, 90_000);

  it('acknowledges what no database keeps as malformed: 120 of them do not block a good read', async () => {
    const malformed = await counter('malformed');
    for (let i = 0; i < 40; i++) {
      const r = makeRead(300 + i, Date.now(), `nul-${i}`);
      await send(t.read, { ...payloads.read(UNIT, r, Date.now()), id: `nul\u0000${i}` });
      await send(t.status, { type: 'status', id: `s-${i}`, state: 'online', sentAt: 1e20 });
      const old = payloads.read(UNIT, makeRead(400 + i, Date.now(), `old-${i}`), Date.now());
      await send(t.read, { ...old, read: { ...old.read, capturedAt: '-271821-04-20T00:00:00.000Z' } });
    }
    const good = makeRead(999, Date.now(), 'after-poison');
    await send(t.read, payloads.read(UNIT, good, Date.now()));
    await until(async () => (await stored([good.id])) === 1, 20_000, 'the good read behind them');
    // the NUL ids are malformed; the far times are no times (stored, with no capture time)
    expect((await counter('malformed')) - malformed).toBe(40);
    const { rows } = await sql.query(
      "SELECT count(*) AS n FROM alpr_records WHERE id LIKE 'old-%' AND captured_at IS NULL",
    );
    expect(Number(rows[0]?.n)).toBe(40);
  }, 60_000);

  it('acknowledges a message the store refuses for its content, and goes on', async () => {
    const pgStore = new PostgresCentralStore(await openPostgres(pg.url), 90);
    const refusing: CentralStore = {
      start: () => pgStore.start(),
      stop: () => pgStore.stop(),
      status: (...a) => pgStore.status(...a),
      malformed: () => pgStore.malformed(),
      put: (r, at) =>
        r.id.startsWith('refuse-')
          ? Promise.reject(new AlprError(ErrorCodes.INPUT, 'central store: value out of range'))
          : pgStore.put(r, at),
    };
    const other = new CentralSink({
      url: broker.url,
      store: refusing,
      topicBase: 'alpr',
      clientId: 'refusing-sink',
      redeliverMs: 500,
    });
    await other.start();
    try {
      for (let i = 0; i < 110; i++)
        await send(t.read, payloads.read(UNIT, makeRead(500 + i, Date.now(), `refuse-${i}`), Date.now()));
      const good = makeRead(998, Date.now(), 'after-refused');
      await send(t.read, payloads.read(UNIT, good, Date.now()));
      await waitFor(
        () => other.stats.refused === 110 && other.stats.stored >= 1,
        20_000,
        'refused and stored',
      );
      expect(await stored([good.id])).toBe(1);
      expect(other.stats.redeliveries).toBe(0);
    } finally {
      await other.stop();
    }
  }, 60_000);
});
