import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import type { StoreStage } from '../../src/store/index.ts';
import { SyncStage } from '../../src/sync/index.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { type Broker, hasMosquitto, makeCerts, writeCredentials } from '../helpers/mosquitto.ts';
import { captureLog, makeRead, syncConfig, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto) console.warn('sync-tls: skipped, mosquitto not installed (apt-get install mosquitto)');

const ACL = `user central-sink
topic readwrite alpr/#

pattern readwrite alpr/metro/%u/#
`;

describe.skipIf(!hasMosquitto)('sync over TLS with client certificates and an ACL', () => {
  let rig: SyncRig;
  let broker: Broker;
  let sink: CentralSink;
  let dirs: SyncRig['dirs'];
  const bus = new Bus();
  const cap = captureLog();
  const health: HealthReport[] = [];
  let store: StoreStage;
  let sync: SyncStage | null = null;

  beforeAll(async () => {
    rig = await startSyncRig({
      prefix: 'alpr-tls-',
      broker: { tls: true, acl: ACL, crl: true },
      sinkOptions: (b) => {
        const sc = b.certs!.client('central-sink');
        return { ca: readFileSync(b.certs!.ca), cert: readFileSync(sc.cert), key: readFileSync(sc.key) };
      },
    });
    ({ broker, sink, dirs } = rig);
    bus.on('health', (h) => {
      if (h.component === 'server') health.push(h);
    });
    // The rig's own sync stage stays unstarted: each test starts one with other credentials.
    ({ store } = await rig.stages({ bus, log: cap.log, startSync: false }));
    for (let i = 0; i < 20; i++) bus.emit('read', makeRead(i));
  });

  afterEach(async () => {
    await sync?.stop();
    sync = null;
    health.length = 0;
  });

  afterAll(async () => {
    await rig?.close();
  });

  /**
   * Waits for the server light to say `re`. It names a link error at its next tick
   * (healthIntervalMs), and on a loaded machine a tick may go out before the handshake has failed,
   * saying only that the server is unreachable.
   */
  const lightSays = (re: RegExp) =>
    waitFor(() => re.test(health.at(-1)?.reason ?? ''), 5000, `the light to say ${re}`).catch((e: Error) => {
      throw new Error(`${e.message}; last: ${health.at(-1)?.reason}`);
    });

  function startSync(): SyncStage {
    sync = new SyncStage({
      bus,
      log: cap.log,
      config: syncConfig(broker.url, { caFile: 'ca.crt', certFile: 'client.crt', keyFile: 'client.key' }),
      unit: UNIT,
      credentialsDir: dirs.creds,
      outbox: store.outbox(),
      healthIntervalMs: 100,
    });
    return sync;
  }

  it('wrong CA: clear error in the health reason, nothing sent, nothing lost', async () => {
    const other = makeCerts(join(dirs.root, 'other-pki'), 'someone-else');
    writeCredentials(dirs.creds, broker.certs!, UNIT.id, other.ca);
    const s = startSync();
    await s.start();
    await waitFor(() => /configured CA/.test(health.at(-1)?.reason ?? ''), 10_000, 'CA error in health');
    expect(health.at(-1)?.light).toBe('amber');
    expect(s.isConnected).toBe(false);
    expect(store.outbox().depth()).toBe(20);
    expect(sink.counts().records).toBe(0);
  });

  it('ACL denial (certificate of another unit): publishes refused, kept queued, logged', async () => {
    writeCredentials(dirs.creds, broker.certs!, 'unit-9');
    const s = startSync();
    await s.start();
    await waitFor(() => s.stats.refused > 0, 10_000, 'a refused publish');
    await waitFor(() => /not authori[sz]ed/i.test(health.at(-1)?.reason ?? ''), 5000, 'ACL error in health');
    await new Promise((r) => setTimeout(r, 1500));
    // mosquitto drops the connection after a refused publish: reconnects must back off, not spin.
    expect(s.stats.connects).toBeLessThan(6);
    expect(store.outbox().depth()).toBe(20);
    expect(sink.counts().records).toBe(0);
    expect(cap.text()).toMatch(/upload refused; messages kept in the outbox/);
    expect(cap.text()).toMatch(/not authori[sz]ed/i);
  });

  it('client certificate from an unknown CA: refused by the broker, nothing lost', async () => {
    const other = makeCerts(join(dirs.root, 'rogue-pki'), 'rogue');
    writeCredentials(dirs.creds, other, UNIT.id, broker.certs!.ca);
    const s = startSync();
    await s.start();
    await waitFor(() => s.lastLinkError !== null, 10_000, 'handshake failure');
    await lightSays(/client certificate/);
    expect(s.isConnected).toBe(false);
    expect(s.stats.connects).toBe(0);
    expect(store.outbox().depth()).toBe(20);
    console.log(`sync-tls: unknown client CA → ${health.at(-1)?.reason}`);
  });

  it('expired client certificate: refused by the broker, nothing lost', async () => {
    writeCredentials(dirs.creds, broker.certs!, broker.certs!.expiredClient(UNIT.id));
    const s = startSync();
    await s.start();
    await waitFor(() => s.lastLinkError !== null, 10_000, 'handshake failure');
    await lightSays(/client certificate not accepted.*expired/);
    expect(s.stats.connects).toBe(0);
    expect(store.outbox().depth()).toBe(20);
  });

  it('revoked client certificate (CRL): refused by the broker, nothing lost', async () => {
    writeCredentials(dirs.creds, broker.certs!, 'unit-7-old');
    broker.certs!.revoke('unit-7-old');
    await broker.stop();
    await broker.start();
    const s = startSync();
    await s.start();
    await waitFor(() => s.lastLinkError !== null, 10_000, 'handshake failure');
    await lightSays(/client certificate not accepted.*revoked/);
    expect(s.stats.connects).toBe(0);
    expect(store.outbox().depth()).toBe(20);
  });

  it('with the right CA and its own certificate, the queued reads all arrive exactly once', async () => {
    writeCredentials(dirs.creds, broker.certs!, UNIT.id);
    const s = startSync();
    await s.start();
    await waitFor(() => sink.counts().records === 20, 15_000, 'sink to get 20 reads');
    await waitFor(() => store.outbox().depth() === 0, 5000, 'outbox to drain');
    expect(sink.counts().conflicts).toBe(0);
    expect(s.isConnected).toBe(true);
  });
});
