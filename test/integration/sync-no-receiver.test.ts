/**
 * A broker with no receiver subscribed yet (receivers started after the units, a new broker, a
 * session that expired): Mosquitto acknowledges a unit's QoS 1 publishes with MQTT 5 reason 16,
 * "no matching subscribers", and keeps them for no one. The unit must keep them queued, say so on
 * the server light, and send them once a receiver subscribes: reads, hits and audit rows alike.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import type { StoreStage } from '../../src/store/index.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import { CentralSink } from '../../src/sync/sink.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { auditRecord, captureLog, makeHit, makeRead, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto)
  console.warn('sync-no-receiver: skipped, mosquitto not installed (apt-get install mosquitto)');

const audit = auditRecord;

describe.skipIf(!hasMosquitto)('a broker with no receiver subscribed (real mosquitto, MQTT 5)', () => {
  let rig: SyncRig;
  let store: StoreStage;
  let sync: SyncStage;
  let sink: CentralSink | null = null;
  const bus = new Bus();
  const cap = captureLog();
  const health: HealthReport[] = [];

  beforeAll(async () => {
    rig = await startSyncRig({ sink: 'none' });
    bus.on('health', (h) => {
      if (h.component === 'server') health.push(h);
    });
    ({ store, sync } = await rig.stages({
      bus,
      log: cap.log,
      wire: (st) => ({ records: st.records(), healthIntervalMs: 200, retryMs: 1000 }),
    }));
  });

  afterAll(async () => {
    await sink?.stop();
    await rig?.close();
  });

  it('the broker answers "no matching subscribers" to a publish no one receives', () => {
    const r = spawnSync(
      'mosquitto_pub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(rig.broker.port),
        '-V',
        'mqttv5',
        '-q',
        '1',
        '-t',
        'alpr/x',
        '-m',
        '1',
        '-d',
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    expect(r.stdout).toMatch(/received PUBACK \(Mid: \d+, RC:16\)/);
  });

  it('keeps reads, hits and audit rows queued, names them on the light, and sends them once a receiver subscribes', async () => {
    await waitFor(() => sync.isConnected, 10_000, 'connect');
    const reads = Array.from({ length: 5 }, (_, i) => makeRead(100 + i));
    for (const r of reads) bus.emit('read', r);
    bus.emit('hit', makeHit(reads[0]!));
    const q = store.records();
    for (let i = 1; i <= 3; i++) expect(q.put(audit(i))).toBe(true);
    const out = store.outbox();
    await waitFor(
      () => /no receiver for audit, hit, read/.test(health.at(-1)?.reason ?? ''),
      10_000,
      'the light to name what has no receiver',
    ).catch((e) => {
      throw new Error(
        `${(e as Error).message}; light: ${JSON.stringify(health.at(-1))}\n${cap.text().slice(-1500)}`,
      );
    });
    expect(health.at(-1)!.light).toBe('amber');
    // several probes later, nothing has left the unit's queues
    await new Promise((r) => setTimeout(r, 2500));
    expect(out.depth()).toBe(6);
    expect(q.depth()).toBe(3);
    expect(sync.stats.acked).toBe(0);
    expect(sync.stats.published).toBeGreaterThan(9); // the first of each, and probes

    sink = new CentralSink({ url: rig.broker.url, dbFile: rig.sinkFile, topicBase: 'alpr' });
    await sink.start();
    await waitFor(() => out.depth() === 0 && q.depth() === 0, 15_000, 'both queues to drain').catch((e) => {
      throw new Error(
        `${(e as Error).message}; outbox ${out.depth()}, records ${q.depth()}\n${cap.text().slice(-1500)}`,
      );
    });
    const c = sink.counts();
    expect(c.byType).toMatchObject({ read: 5, hit: 1, audit: 3 });
    await waitFor(() => health.at(-1)?.light === 'green', 5000, 'the light back to green').catch((e) => {
      throw new Error(`${(e as Error).message}; light: ${JSON.stringify(health.at(-1))}`);
    });
    expect(cap.text()).toContain('the server receives every kind of record again');
  });
});

describe.skipIf(!hasMosquitto)('a kind held when the link drops (real mosquitto, MQTT 5)', () => {
  let rig: SyncRig;
  let sink: CentralSink | null = null;

  afterAll(async () => {
    await sink?.stop();
    await rig?.close();
  });

  it('its probes go on after the reconnect, and all of it is sent once a receiver has subscribed', async () => {
    rig = await startSyncRig({ sink: 'none', prefix: 'alpr-unheard-reconnect-' });
    const health: HealthReport[] = [];
    const bus = new Bus();
    bus.on('health', (h) => {
      if (h.component === 'server') health.push(h);
    });
    const { store, sync } = await rig.stages({
      bus,
      log: captureLog().log,
      wire: (st) => ({ records: st.records(), healthIntervalMs: 200, retryMs: 3000 }),
    });
    await waitFor(() => sync.isConnected, 10_000, 'connect');
    const q = store.records();
    for (let i = 1; i <= 3; i++) expect(q.put(audit(i))).toBe(true);
    await waitFor(() => /no receiver for audit/.test(health.at(-1)?.reason ?? ''), 10_000, 'audit held');
    sink = new CentralSink({ url: rig.broker.url, dbFile: rig.sinkFile, topicBase: 'alpr' });
    await sink.start();
    // the broker restarts (its sessions persisted): every connection drops and comes back
    await rig.broker.stop();
    await rig.broker.start();
    await waitFor(() => q.depth() === 0, 20_000, 'the kept audit rows to go').catch((e) => {
      throw new Error(`${(e as Error).message}: ${q.depth()} left; light ${JSON.stringify(health.at(-1))}`);
    });
    await waitFor(() => (sink?.counts().byType['audit'] ?? 0) === 3, 10_000, 'three audit rows stored');
    await waitFor(() => health.at(-1)?.light === 'green', 10_000, 'green');
  }, 60_000);
});
