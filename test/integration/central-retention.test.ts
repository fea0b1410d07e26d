/**
 * The central store keeps the policy (rule 8): the reference receiver writes to a real PostgreSQL
 * 15 cluster; detection data is kept 90 days to 2 years, then purged unless a legal hold names
 * its read; holds come and go only by signed commands (the same ones `alpr sync hold` sends to
 * units, taken from the broker); every purge is logged.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoldOutcome } from '../../src/central/holds.ts';
import { openPostgres } from '../../src/central/pg-client.ts';
import { PostgresCentralStore } from '../../src/central/pg-store.ts';
import type { SqlPort } from '../../src/central/sql-port.ts';
import { DAY_MS } from '../../src/central/retention.ts';
import { parseUnitMessage } from '../../src/central/store.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import { CentralSink } from '../../src/sync/sink.ts';
import { payloads, signHoldCommand, topics } from '../../src/sync/topics.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { hasPostgres, PG_SKIP_REASON, type PgCluster, startPostgres } from '../helpers/postgres.ts';
import { makeHit, makeRead, waitFor } from '../helpers/sync-fixtures.ts';

const UNIT = { agency: 'metro', id: 'unit-7' };
const ADMIN = generateAdminKey();
const ROGUE = generateAdminKey();
const AGES = [10, 89, 91, 400, 729, 731, 800];
const ready = hasPostgres && hasMosquitto;
/** Never queried: the retention is refused before the store touches its database. */
const NO_DB: SqlPort = {
  query: () => Promise.reject(new Error('no database in this check')),
  end: () => Promise.resolve(),
};

if (!hasPostgres) console.warn(`central-retention: skipped, ${PG_SKIP_REASON}`);
else if (!hasMosquitto) console.warn('central-retention: skipped, mosquitto not installed');

describe.skipIf(!ready)('the central store in PostgreSQL keeps the retention policy', () => {
  let pg: PgCluster;
  let broker: Broker;
  let sink: CentralSink;
  let store: PostgresCentralStore;
  let unit: MqttClient;
  let server: MqttClient;
  const holds: HoldOutcome[] = [];
  const now = Date.now();
  const reads = AGES.map((age, i) => makeRead(i, now - age * DAY_MS, `read-${age}d`));
  const byAge = (age: number) => reads[AGES.indexOf(age)]!;
  const hits = [makeHit(byAge(400), 'hit-400d'), makeHit(byAge(800), 'hit-800d')];

  const send = (topic: string, body: unknown) => unit.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  const hold = (action: 'hold' | 'release', id: string, readIds: string[], key = ADMIN.privateKeyPem) =>
    server.publishAsync(
      topics('alpr', UNIT).holdCommand,
      JSON.stringify(
        signHoldCommand(
          { id, unit: UNIT, action, ref: 'CASE-2026-0042', readIds, issuedAt: Date.now() },
          key,
          'admin',
        ),
      ),
      { qos: 1 },
    );

  beforeAll(async () => {
    pg = await startPostgres();
    broker = await startMosquitto({ persistence: false });
    store = new PostgresCentralStore(await openPostgres(pg.url), 90);
    sink = new CentralSink({
      url: broker.url,
      store,
      topicBase: 'alpr',
      adminKeys: [{ id: 'admin', publicKey: ADMIN.publicKey }],
      onHold: (o) => holds.push(o),
    });
    await sink.start();
    unit = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    server = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  }, 60_000);

  afterAll(async () => {
    await unit?.endAsync();
    await server?.endAsync();
    await sink?.stop();
    await destroyMosquitto(broker);
    await pg?.stop();
  });

  it('refuses a retention outside 90 days to 2 years, with a coded error', () => {
    for (const days of [0, 89, 731, 90.5]) {
      expect(() => new PostgresCentralStore(NO_DB, days)).toThrow(
        expect.objectContaining({ code: 'ALPR_E_CENTRAL_RETENTION' }),
      );
    }
  });

  it('stores what units send once by id, and keeps non-detection records out of purges', async () => {
    const t = topics('alpr', UNIT);
    for (const r of reads) await send(t.read, payloads.read(UNIT, r, Date.now()));
    await send(t.read, payloads.read(UNIT, byAge(10), Date.now() + 5)); // a resend: same record
    for (const h of hits) await send(t.hit, payloads.hit(UNIT, h, Date.now()));
    await send(
      t.image,
      payloads.image(UNIT, 'read-400d:plate', 'read-400d', 'plate', Buffer.from('jpeg'), now),
    );
    const audit = { id: 'audit-1', kind: 'audit', body: { seq: 1 }, enqueuedAt: now - 800 * DAY_MS, seq: 1 };
    await send(t.audit, payloads.record(UNIT, audit, Date.now()));
    await waitFor(
      () => sink.stats.stored >= reads.length + 1 + hits.length + 2,
      20_000,
      'every record stored',
    );
    expect(await store.ids('read')).toEqual(reads.map((r) => r.id).sort());
    expect(await store.ids('hit')).toEqual(['hit-400d', 'hit-800d']);
    expect(await store.counter('duplicates')).toBe(1);
    expect(await store.counter('conflicts')).toBe(0);
  });

  it("counts a unit's reads and hits per hour of capture, as the unit's tally does", async () => {
    const HOUR = 3_600_000;
    const at = (age: number) => Date.parse(byAge(age).capturedAt);
    const hour = (t: number) => Math.floor(t / HOUR) * HOUR;
    const all = AGES.map((a) => ({ from: hour(at(a)), reads: 1, hits: a === 400 || a === 800 ? 1 : 0 }));
    expect(
      await store.stored(
        UNIT.agency,
        UNIT.id,
        all.map((b) => b.from),
      ),
    ).toEqual(all.sort((x, y) => x.from - y.from));
    // only the hours asked for; an hour with nothing stored is left out
    expect(await store.stored(UNIT.agency, UNIT.id, [hour(at(10)), hour(at(10)) + HOUR])).toEqual([
      { from: hour(at(10)), reads: 1, hits: 0 },
    ]);
    expect(await store.stored(UNIT.agency, 'unit-8', [hour(at(10))])).toEqual([]);
    expect(await store.stored(UNIT.agency, UNIT.id, [])).toEqual([]);
  });

  it('applies signed holds from the broker and refuses forged ones', async () => {
    await hold('hold', 'req-1', ['read-400d']);
    await hold('hold', 'req-2', ['read-800d'], ROGUE.privateKeyPem);
    // A command copied to this unit's topic but naming another unit.
    const other = signHoldCommand(
      {
        id: 'req-3',
        unit: { agency: 'metro', id: 'unit-8' },
        action: 'hold',
        ref: 'X',
        readIds: ['read-731d'],
        issuedAt: Date.now(),
      },
      ADMIN.privateKeyPem,
      'admin',
    );
    await server.publishAsync(topics('alpr', UNIT).holdCommand, JSON.stringify(other), { qos: 1 });
    await waitFor(() => holds.length >= 3, 10_000, 'three hold commands');
    expect(holds.map((h) => (h.ok ? `ok ${h.changed}` : h.problem))).toEqual([
      'ok 1',
      'bad signature',
      'for another unit',
    ]);
  });

  it('refuses a signed release issued before the hold it would undo (an old command sent again)', async () => {
    // signed a minute before req-1 was, never applied: a captured command held back and sent now
    const old = signHoldCommand(
      {
        id: 'req-0',
        unit: UNIT,
        action: 'release',
        ref: 'CASE-2026-0042',
        readIds: ['read-400d'],
        issuedAt: Date.now() - 60_000,
      },
      ADMIN.privateKeyPem,
      'admin',
    );
    await server.publishAsync(topics('alpr', UNIT).holdCommand, JSON.stringify(old), { qos: 1 });
    await waitFor(() => holds.length >= 4, 10_000, 'the old release');
    expect(holds[3]).toMatchObject({ ok: false });
    expect(holds[3]!.ok ? '' : holds[3]!.problem).toMatch(
      /^command req-0 was issued before the last hold applied/,
    );
  });

  it('purges detection data past retention unless held, and logs each purge', async () => {
    const first = await sink.purgeNow(now);
    // 91, 729, 731 and 800 days old reads and the 800-day hit go; the held read keeps its hit and image.
    expect(first).toMatchObject({ retentionDays: 90, purged: 5, heldKept: 3 });
    expect(first!.oldest).toBe(Date.parse(byAge(800).capturedAt));
    expect(first!.newest).toBe(Date.parse(byAge(91).capturedAt));
    expect(await store.ids('read')).toEqual(['read-10d', 'read-400d', 'read-89d']);
    expect(await store.ids('hit')).toEqual(['hit-400d']);
    expect(await store.ids('image')).toEqual(['read-400d:plate']);
    expect(await store.ids('audit')).toEqual(['audit-1']);

    // Released by a signed command with the same ref: the next purge takes them.
    await hold('release', 'req-4', ['read-400d']);
    await waitFor(() => holds.length >= 5, 10_000, 'the release');
    expect(holds[4]).toMatchObject({ ok: true, changed: 1 });
    const second = await sink.purgeNow(now + 1000);
    expect(second).toMatchObject({ purged: 3, heldKept: 0 });
    expect(await store.ids('read')).toEqual(['read-10d', 'read-89d']);
    expect(await store.ids('image')).toEqual([]);
    const log = await store.purgeLog();
    expect(log.map((p) => [p.purged, p.heldKept, p.cutoff])).toEqual([
      [5, 3, now - 90 * DAY_MS],
      [3, 0, now + 1000 - 90 * DAY_MS],
    ]);
  });

  it('never keeps unheld detection data past 2 years, even at the longest retention', async () => {
    const longest = new PostgresCentralStore(await openPostgres(pg.url), 730);
    await longest.start();
    for (const age of [729, 731]) {
      const r = makeRead(age, now - age * DAY_MS, `long-${age}d`);
      const m = parseUnitMessage(
        'alpr',
        topics('alpr', UNIT).read,
        Buffer.from(JSON.stringify(payloads.read(UNIT, r, now))),
      );
      if (m.kind !== 'record') throw new Error('not a record');
      expect(await longest.put(m.record, now)).toBe('new');
    }
    expect(await longest.purge(now)).toMatchObject({ retentionDays: 730, purged: 1 });
    expect((await longest.ids('read')).filter((id) => id.startsWith('long-'))).toEqual(['long-729d']);
    await longest.stop();
  });
});
