/**
 * A central receiver started before its broker is up (a site coming back from a power cut, a
 * clustered broker still electing its leaders) waits for it instead of exiting: a loopback proxy in
 * front of a real mosquitto first refuses connections, then closes them before their CONNACK, as
 * nats-server's MQTT does while its JetStream is not ready, and only then lets them through.
 */
import { rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralSink } from '../../src/sync/sink.ts';
import { payloads, topics } from '../../src/sync/topics.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeRead, tempDirs, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { readSinkCounts } from '../helpers/sync-rig.ts';

if (!hasMosquitto)
  console.warn('sink-broker-late: skipped, mosquitto not installed (apt-get install mosquitto)');

type Mode = 'closing' | 'open';

/** A TCP proxy on `port` to the broker: 'closing' drops every connection at once, 'open' passes it on. */
async function startGate(port: number, target: number, mode: () => Mode): Promise<Server> {
  const server = createServer((client) => {
    client.on('error', () => {});
    if (mode() === 'closing') {
      client.destroy();
      return;
    }
    const up = connect(target, '127.0.0.1');
    up.on('error', () => client.destroy());
    client.pipe(up).pipe(client);
  });
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  return server;
}

describe.skipIf(!hasMosquitto)('central receiver started before its broker', () => {
  let broker: Broker;
  let n = 0;

  /** A unit publishes a read; the receiver writing to `db` stores it. */
  async function storesARead(db: string): Promise<void> {
    const unit = await mqtt.connectAsync(broker.url, { clientId: `late-unit-${++n}`, protocolVersion: 4 });
    const r = makeRead(n);
    await unit.publishAsync(topics('alpr', UNIT).read, JSON.stringify(payloads.read(UNIT, r, Date.now())), {
      qos: 1,
    });
    await unit.endAsync();
    await waitFor(() => readSinkCounts(db).records >= 1, 10_000, 'the read stored');
  }
  const tmp = tempDirs('alpr-sink-late-');
  const servers: Server[] = [];
  const sinks: CentralSink[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    for (const s of sinks) await s.stop().catch(() => {});
    for (const s of servers) s.close();
    await destroyMosquitto(broker);
    rmSync(tmp.root, { recursive: true, force: true });
  });

  it('waits while nothing listens and while connections close before their CONNACK, then stores', {
    timeout: 30_000,
  }, async () => {
    const port = await freePort();
    let mode: Mode = 'closing';
    const db = join(tmp.root, 'late.sqlite');
    const sink = new CentralSink({ url: `mqtt://127.0.0.1:${port}`, dbFile: db, topicBase: 'alpr' });
    sinks.push(sink);
    const started = sink.start();
    let done = false;
    started.then(
      () => (done = true),
      () => (done = true),
    );
    // nothing listens for 1.5 s, then the gate closes connections for 2 s more
    await new Promise((r) => setTimeout(r, 1500));
    expect(done).toBe(false);
    servers.push(await startGate(port, broker.port, () => mode));
    await new Promise((r) => setTimeout(r, 2000));
    expect(done).toBe(false);
    mode = 'open';
    await started;

    await storesARead(db);
  });

  it('tries the next node of a cluster when the first is down', async () => {
    const dead = await freePort();
    const sink = new CentralSink({
      url: `mqtt://127.0.0.1:${dead}`,
      clusterUrls: [broker.url],
      dbFile: join(tmp.root, 'cluster.sqlite'),
      topicBase: 'alpr',
      connectWaitMs: 5000,
    });
    sinks.push(sink);
    await sink.start();
    await storesARead(join(tmp.root, 'cluster.sqlite'));
  });

  it('gives up when the broker is still not up after connectWaitMs, naming the broker', async () => {
    const port = await freePort();
    const sink = new CentralSink({
      url: `mqtt://127.0.0.1:${port}`,
      dbFile: join(tmp.root, 'never.sqlite'),
      topicBase: 'alpr',
      connectWaitMs: 2500,
    });
    sinks.push(sink);
    const t0 = Date.now();
    await expect(sink.start()).rejects.toThrow(`central sink cannot connect to mqtt://127.0.0.1:${port}`);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(10_000);
  });
});
