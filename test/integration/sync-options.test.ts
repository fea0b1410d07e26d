import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CentralSink } from '../../src/sync/sink.ts';
import { payloads } from '../../src/sync/topics.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { startMqtt311Proxy } from '../helpers/mqtt311-proxy.ts';
import { captureLog, makeRead, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto) console.warn('sync-options: skipped, mosquitto not installed (apt-get install mosquitto)');

describe.skipIf(!hasMosquitto)('sync options: MQTT 3.1.1, images, bandwidth cap', () => {
  let rig: SyncRig;
  let sink: CentralSink;

  beforeAll(async () => {
    rig = await startSyncRig({ prefix: 'alpr-opts-' });
    sink = rig.sink;
  });
  afterAll(async () => {
    await rig?.close();
  });

  async function stages(
    dataDir: string,
    store: Record<string, unknown>,
    sync: Record<string, unknown>,
    log = captureLog('warn').log,
    now?: () => number,
  ) {
    const s = await rig.stages({
      dataDir,
      store,
      sync,
      log,
      startSync: false,
      ...(now ? { wire: () => ({ now }) } : {}),
    });
    return { bus: s.bus, st: s.store, sy: s.sync };
  }

  it('falls back to MQTT 3.1.1 when the broker refuses 5, and delivers', async () => {
    const proxy = await startMqtt311Proxy(rig.broker.port);
    try {
      const cap = captureLog('info');
      const { st, sy } = await stages(join(rig.dirs.root, 'v4'), {}, { url: proxy.url }, cap.log);
      const reads = Array.from({ length: 3 }, (_, i) => makeRead(300 + i));
      for (const r of reads) st.putRead(r);
      await sy.start();
      await waitFor(() => st.outbox().depth() === 0, 10_000, 'drain over 3.1.1');
      expect(proxy.levels.slice(0, 2)).toEqual([5, 4]);
      expect(cap.text()).toContain('falling back to MQTT 3.1.1');
      await waitFor(() => reads.every((r) => sink.ids('read').includes(r.id)), 5000, 'reads at the sink');
      await sy.stop();
      await st.stop();
    } finally {
      await proxy.close();
    }
  });

  it('over MQTT 3.1.1, uploads images in their own messages after the reads', async () => {
    const { st, sy } = await stages(
      join(rig.dirs.root, 'a'),
      { outboxImages: true },
      { protocolVersion: 4, images: true },
    );
    const reads = Array.from({ length: 5 }, (_, i) => makeRead(i));
    for (const r of reads) {
      st.putRead(r);
      st.putImage(r.id, 'plate', Buffer.from(`jpeg-bytes-${r.id}`));
    }
    await sy.start();
    await waitFor(() => (sink.counts().byType['image'] ?? 0) === 5, 10_000, 'images');
    const order = sink.arrivalTypes();
    expect(order.lastIndexOf('read')).toBeLessThan(order.indexOf('image'));
    expect(sink.ids('image')).toEqual(reads.map((r) => `${r.id}:plate`));
    await waitFor(() => st.outbox().depth() === 0, 5000, 'drain');
    await sy.stop();
    await st.stop();
  });

  it('keeps to the bandwidth cap', async () => {
    const cap = 40_000;
    const { st, sy } = await stages(join(rig.dirs.root, 'b'), {}, { maxBytesPerSecond: cap });
    const reads = Array.from({ length: 150 }, (_, i) => makeRead(100 + i));
    for (const r of reads) st.putRead(r);
    const bytes = reads.reduce((n, r) => n + JSON.stringify(payloads.read(UNIT, r, Date.now())).length, 0);
    const before = sink.counts().byType['read'] ?? 0;
    const t0 = Date.now();
    await sy.start();
    await waitFor(() => (sink.counts().byType['read'] ?? 0) === before + 150, 20_000, 'capped upload');
    const s = (Date.now() - t0) / 1000;
    const floor = (bytes - Math.max(cap, 16 * 1024)) / cap;
    expect(floor).toBeGreaterThan(1);
    expect(s).toBeGreaterThan(floor * 0.9);
    await sy.stop();
    await st.stop();
  });

  it('under the cap, a wall clock set back by two hours (a wrong RTC corrected) holds nothing back', async () => {
    let offset = 2 * 3_600_000;
    const wall = () => Date.now() + offset;
    const { st, sy } = await stages(
      join(rig.dirs.root, 'c'),
      {},
      { maxBytesPerSecond: 50_000 },
      undefined,
      wall,
    );
    const before = sink.counts().byType['read'] ?? 0;
    for (let i = 0; i < 20; i++) st.putRead(makeRead(400 + i));
    await sy.start();
    await waitFor(() => (sink.counts().byType['read'] ?? 0) === before + 20, 10_000, 'reads before the step');
    offset = 0;
    for (let i = 0; i < 20; i++) st.putRead(makeRead(420 + i));
    // 20 reads are well inside one second's allowance: they go at once, not two hours later
    await waitFor(() => (sink.counts().byType['read'] ?? 0) === before + 40, 10_000, 'reads after the step');
    await sy.stop();
    await st.stop();
  });
});
