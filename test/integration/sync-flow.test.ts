import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import type { StoreStage } from '../../src/store/index.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import { signHoldCommand, topics } from '../../src/sync/topics.ts';
import { type Broker, hasMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, makeHit, makeRead, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

const ADMIN = generateAdminKey();

/** A day offline is ~10-20k reads: ALPR_SYNC_OFFLINE_READS=20000 for that run; 400 by default. */
const OFFLINE_READS = Number(process.env.ALPR_SYNC_OFFLINE_READS ?? 400);
const HIT_EVERY = 40;

if (!hasMosquitto) console.warn('sync-flow: skipped, mosquitto not installed (apt-get install mosquitto)');

describe.skipIf(!hasMosquitto)('store and sync through a real mosquitto', () => {
  let rig: SyncRig;
  let broker: Broker;
  let sink: CentralSink;
  let store: StoreStage;
  let sync: SyncStage;
  const bus = new Bus();
  const health: HealthReport[] = [];
  const cap = captureLog();

  beforeAll(async () => {
    rig = await startSyncRig();
    ({ broker, sink } = rig);
    bus.on('health', (h) => {
      if (h.component === 'server') health.push(h);
    });
    ({ store, sync } = await rig.stages({
      bus,
      log: cap.log,
      wire: (st) => ({
        holds: st.holds(),
        healthIntervalMs: 200,
        adminKeys: [{ id: 'admin', publicKey: ADMIN.publicKey }],
      }),
    }));
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('delivers every read and hit to the sink exactly once, and marks them synced', async () => {
    await waitFor(() => sync.isConnected, 10_000, 'connect');
    const reads = Array.from({ length: 60 }, (_, i) => makeRead(i));
    for (const r of reads) bus.emit('read', r);
    for (const r of reads.slice(0, 5)) bus.emit('hit', makeHit(r));
    bus.emit('read', reads[0]!); // the same id again is not a second record
    await waitFor(() => sink.counts().records >= 65, 15_000, 'sink to get 65 records');
    await waitFor(() => store.outbox().depth() === 0, 5000, 'outbox to drain');
    const c = sink.counts();
    expect(c.byType).toEqual({ read: 60, hit: 5 });
    expect(c.duplicates).toBe(0);
    expect(c.conflicts).toBe(0);
    expect(new Set(sink.ids('read'))).toEqual(new Set(reads.map((r) => r.id)));
    expect(store.outbox().lastAckedAt()).toBeGreaterThan(Date.now() - 60_000);
    expect(sink.unitStatus(UNIT.agency, UNIT.id)).toBe('online');
    expect(health.at(-1)?.light).toBe('green');
  });

  it('queues while the broker is down, turns the light amber, then drains hits first', async () => {
    const before = sink.counts().records;
    await broker.stop();
    await waitFor(() => !sync.isConnected, 10_000, 'disconnect');
    const reads = Array.from({ length: OFFLINE_READS }, (_, i) => makeRead(1000 + i));
    for (const r of reads) bus.emit('read', r);
    const hits = reads.filter((_, i) => i % HIT_EVERY === 7).map((r) => makeHit(r));
    for (const h of hits) bus.emit('hit', h);
    expect(store.outbox().depth()).toBe(OFFLINE_READS + hits.length);
    await waitFor(() => health.at(-1)?.light === 'amber', 5000, 'amber light');
    await broker.start();
    await waitFor(
      () => sink.counts().records >= before + OFFLINE_READS + hits.length,
      30_000 + OFFLINE_READS,
      'backlog to drain',
    ).catch((e) => {
      console.log(
        sink.counts(),
        store.outbox().depth(),
        sync.isConnected,
        sync.stats,
        broker.log(),
        cap.text().slice(-3000),
      );
      throw e;
    });
    const arrival = sink.arrivalTypes().slice(before);
    expect(arrival.slice(0, hits.length)).toEqual(Array(hits.length).fill('hit'));
    expect(arrival.slice(hits.length).every((t) => t === 'read')).toBe(true);
    expect(sink.counts().conflicts).toBe(0);
    await waitFor(() => health.at(-1)?.light === 'green', 5000, 'green light');
  });

  it('takes an evidence hold from the server and answers it', async () => {
    const read = makeRead(5000);
    bus.emit('read', read);
    await waitFor(() => sink.ids('read').includes(read.id), 10_000, 'read to arrive');
    const server = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const t = topics('alpr', UNIT);
    await server.publishAsync(
      t.holdCommand,
      JSON.stringify(
        signHoldCommand(
          {
            id: 'req-1',
            unit: UNIT,
            action: 'hold',
            ref: 'CASE-42',
            readIds: [read.id],
            issuedAt: Date.now(),
          },
          ADMIN.privateKeyPem,
          'admin',
        ),
      ),
      { qos: 1 },
    );
    await server.endAsync();
    await waitFor(() => sink.counts().byType['holdResult'] === 1, 10_000, 'hold result');
    // Held reads survive a retention run even when synced and old enough.
    const held = store.holds().setHold([read.id], 'CASE-42', true);
    expect(held).toBe(1); // idempotent: same ref
    expect(cap.text()).toContain('evidence hold set');
  });

  it('a flood of bad hold commands is counted, with one warning, not one line each', async () => {
    const before = sync.rejects.total;
    const server = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const t = topics('alpr', UNIT);
    const bad = ['not json', '{"type":"hold"}', JSON.stringify({ type: 'hold', id: 'x', action: 'nuke' })];
    for (let i = 0; i < 300; i++) await server.publishAsync(t.holdCommand, bad[i % bad.length]!, { qos: 1 });
    await server.endAsync();
    await waitFor(() => sync.rejects.total - before >= 300, 10_000, 'the bad commands counted');
    const warned = cap
      .lines()
      .filter((l) => String(l['reason'] ?? '').startsWith('hold command ignored'))
      .filter((l) => l['msg'] === 'server message rejected');
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(warned.length).toBeLessThanOrEqual(2);
    expect(cap.text()).not.toContain('ignored hold command');
  });

  it('publishes a retained offline status on clean stop, and never logs plates', async () => {
    await sync.stop();
    await waitFor(() => sink.unitStatus(UNIT.agency, UNIT.id) === 'offline', 5000, 'offline status');
    expect(cap.text()).not.toMatch(/ZQX\d{4}/);
    expect(cap.text()).not.toContain('47.6097');
  });
});
