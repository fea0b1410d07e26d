import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { StoreStage } from '../../src/store/index.ts';
import { SyncStage } from '../../src/sync/index.ts';
import { CentralSink } from '../../src/sync/sink.ts';
import { payloads } from '../../src/sync/topics.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import {
  captureLog,
  makeRead,
  storeConfig,
  syncConfig,
  tempDirs,
  UNIT,
  waitFor,
} from '../helpers/sync-fixtures.ts';

if (!hasMosquitto) console.warn('sync-options: skipped, mosquitto not installed (apt-get install mosquitto)');

describe.skipIf(!hasMosquitto)('sync options: MQTT 3.1.1, images, bandwidth cap', () => {
  let broker: Broker;
  let sink: CentralSink;
  const dirs = tempDirs('alpr-opts-');

  beforeAll(async () => {
    broker = await startMosquitto();
    sink = new CentralSink({ url: broker.url, dbFile: join(dirs.root, 'sink.sqlite'), topicBase: 'alpr' });
    await sink.start();
  });
  afterAll(async () => {
    await sink?.stop();
    await destroyMosquitto(broker);
    rmSync(dirs.root, { recursive: true, force: true });
  });

  async function stages(dataDir: string, store: Record<string, unknown>, sync: Record<string, unknown>) {
    const bus = new Bus();
    const { log } = captureLog('warn');
    const st = new StoreStage({ bus, log, config: storeConfig(store), dataDir, credentialsDir: dirs.creds });
    await st.start();
    const sy = new SyncStage({
      bus,
      log,
      config: syncConfig(broker.url, sync),
      unit: UNIT,
      outbox: st.outbox(),
    });
    return { bus, st, sy };
  }

  it('over MQTT 3.1.1, uploads images in their own messages after the reads', async () => {
    const { st, sy } = await stages(
      join(dirs.root, 'a'),
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
    const { st, sy } = await stages(join(dirs.root, 'b'), {}, { maxBytesPerSecond: cap });
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
});
