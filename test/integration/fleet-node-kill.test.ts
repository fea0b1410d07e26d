/**
 * The fleet on a 3-node NATS JetStream cluster (MQTT 3.1.1 listener, sessions, QoS 1 queues and
 * retained messages in replicated streams): units spread over the nodes drain a backlog through
 * the real store and sync stages, the central receiver subscribes through the cluster, and one
 * node is SIGKILLed mid-drain and started again later.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { generateAdminKey, pushHotlist } from '../../src/hotlist/push.ts';
import { CentralSink } from '../../src/sync/sink.ts';
import { type FleetUnit, startFleetUnit } from '../helpers/fleet-units.ts';
import {
  hasNatsServer,
  NATS_SKIP_REASON,
  type NatsCluster,
  startNatsCluster,
} from '../helpers/nats-cluster.ts';
import { makeHit, makeRead, tempDirs, waitFor } from '../helpers/sync-fixtures.ts';

const AGENCY = 'metro';
const READS = 240;
const HIT_EVERY = 12;
const ADMIN = generateAdminKey();
const ADMIN_KEY = { id: 'admin', publicKey: ADMIN.publicKey };

if (!hasNatsServer) console.warn(`fleet-node-kill: skipped, ${NATS_SKIP_REASON}`);

/** The lights in order, repeats folded: ['green', 'amber', 'green']. */
function lightPath(u: FleetUnit): string[] {
  const out: string[] = [];
  for (const l of u.lights) if (out.at(-1) !== l.light) out.push(l.light);
  return out;
}

describe.skipIf(!hasNatsServer)('a 3-node NATS cluster loses a node mid-drain', () => {
  let cluster: NatsCluster;
  let sink: CentralSink;
  const units: FleetUnit[] = [];
  const tmp = tempDirs('alpr-fleet-kill-');
  const want = { read: new Set<string>(), hit: new Set<string>() };
  const sinkEvents: string[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster({ nodes: 3 });
    const [n1, n2, n3] = cluster.mqttUrls as [string, string, string];
    // The receiver starts on the node that will die: its persistent session must move with it.
    sink = new CentralSink({
      url: n1,
      clusterUrls: [n2, n3],
      dbFile: join(tmp.root, 'central.sqlite'),
      topicBase: 'alpr',
      clientId: 'alpr-central-test',
      onConnection: (event, url) => sinkEvents.push(event === 'lost' ? 'lost' : `back ${url}`),
    });
    await sink.start();
    // Six units with the cluster's other nodes to fail over to, two per node; two more that know
    // only node 1 (a unit configured with one address), which go red until it returns.
    const plan = [
      ...[0, 1, 2, 3, 4, 5].map((i) => {
        const first = cluster.mqttUrls[i % 3]!;
        return { id: `car-${i}`, url: first, clusterUrls: cluster.mqttUrls.filter((u) => u !== first) };
      }),
      { id: 'car-6', url: n1, clusterUrls: [] },
      { id: 'car-7', url: n1, clusterUrls: [] },
    ];
    for (const p of plan) {
      const u = await startFleetUnit({
        ...p,
        agency: AGENCY,
        adminKey: ADMIN_KEY,
        ...(process.env.ALPR_FLEET_LOG
          ? {
              log: createLogger({ level: process.env.ALPR_FLEET_LOG === 'debug' ? 'debug' : 'info' }).child({
                unit: p.id,
              }),
            }
          : {}),
        // A bandwidth cap stretches the drain over several seconds, so the kill lands mid-way.
        sync: { maxBytesPerSecond: 24_000, inflight: 16, batch: 50, redAfterMinutes: 0.05 },
      });
      units.push(u);
      for (let i = 0; i < READS; i++) {
        const r = { ...makeRead(i), unitId: u.id };
        u.bus.emit('read', r);
        want.read.add(r.id);
        if (i % HIT_EVERY === 0) {
          const h = makeHit(r);
          u.bus.emit('hit', h);
          want.hit.add(h.id);
        }
      }
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(units.map((u) => u.stop().catch(() => {})));
    await sink?.stop().catch(() => {});
    await cluster?.destroy();
    for (const u of units) rmSync(u.dirs.root, { recursive: true, force: true });
    rmSync(tmp.root, { recursive: true, force: true });
  }, 120_000);

  it('delivers every read and hit exactly once, lists still reach every unit, lights go amber/red and back', {
    // Each wait below is bounded on its own; on a loaded 2-core machine the whole runs 30–75 s.
    timeout: 360_000,
  }, async () => {
    const total = want.read.size + want.hit.size;
    const n1 = cluster.nodes[0]!;
    await Promise.all(units.map((u) => u.startSync()));
    await waitFor(() => units.every((u) => u.sync.isConnected), 20_000, 'every unit to connect');
    // Mid-drain: a quarter delivered, then node 1 dies without a word.
    await waitFor(() => sink.counts().records >= total / 4, 30_000, 'a quarter of the backlog');
    const atKill = sink.counts().records;
    // Negotiating 3.1.1 keeps a unit on its first node: the ones given node 1 first are there.
    const onN1 = units.filter((u) => u.sync.serverUrl === n1.mqttUrl);
    expect(onN1.map((u) => u.id)).toEqual(['car-0', 'car-3', 'car-6', 'car-7']);
    const lightsAtKill = new Map(units.map((u) => [u.id, u.lights.length]));
    await n1.kill();
    const killedAt = Date.now();

    // While node 1 is down an admin pushes a hot list through node 2 (MQTT 3.1.1 negotiated).
    const csv = join(tmp.root, 'svs.csv');
    writeFileSync(
      csv,
      'plate,state,priority,case_number,reason\nFLT0001,CA,1,N1,stolen\nFLT0002,CA,2,N2,stolen\n',
    );
    // The streams elect new leaders for a few seconds (tens under a loaded host: one try then runs
    // out its read-back rounds): an admin tool that fails then is run again.
    const push = () =>
      pushHotlist({
        url: cluster.mqttUrls[1]!,
        topicBase: 'alpr',
        agency: AGENCY,
        list: 'SVS',
        file: csv,
        privateKeyPem: ADMIN.privateKeyPem,
        keyId: ADMIN_KEY.id,
      });
    let pushed: Awaited<ReturnType<typeof push>> | null = null;
    let pushTries = 0;
    while (!pushed) {
      pushTries++;
      pushed = await push().catch((err: Error) => {
        if (Date.now() - killedAt > 120_000) throw err;
        return null;
      });
    }
    const version = pushed.manifest.listVersion;
    const pushMs = Date.now() - killedAt;

    // Units that can fail over carry on; the ones that know only node 1 turn red.
    const failover = units.slice(0, 6);
    const single = units.slice(6);
    await waitFor(() => failover.every((u) => u.sync.isConnected), 20_000, 'fail-over units to reconnect');
    await waitFor(
      () => single.every((u) => u.lights.at(-1)?.light === 'red'),
      15_000,
      'single-node units red',
    );
    // The drain goes on without node 1 once the streams have new leaders.
    await waitFor(() => sink.counts().records > atKill, 30_000, 'the drain to go on without node 1');
    const downMs = Date.now() - killedAt;
    // The receiver said it lost node 1 and where it came back: on a node that is up.
    expect(sinkEvents).toContain('lost');
    expect(cluster.mqttUrls.slice(1).map((u) => `back ${u}`)).toContain(sinkEvents.at(-1));

    await n1.start();
    await waitFor(() => sink.counts().records >= total, 60_000, 'the whole backlog').catch((e) => {
      console.log(
        sink.counts(),
        units.map((u) => [u.id, u.store.outbox().depth(), u.sync.isConnected]),
      );
      throw e;
    });
    await waitFor(() => units.every((u) => u.store.outbox().depth() === 0), 20_000, 'every outbox empty');
    await waitFor(
      // A unit that reconnected while its node's view of retained messages lagged gets the list at
      // its next re-read of the manifests (2 s doubling to 8 s here) once the cluster has settled.
      () => units.every((u) => u.hotlist.listVersion('SVS') === version),
      60_000,
      'the list everywhere',
    ).catch((e) => {
      console.log(
        version,
        units.map((u) => [u.id, u.hotlist.listVersion('SVS')]),
      );
      throw e;
    });
    await waitFor(() => units.every((u) => u.lights.at(-1)?.light === 'green'), 10_000, 'every light green');

    const c = sink.counts();
    console.log(
      `fleet-node-kill: ${total} records, node 1 down ${downMs} ms, list pushed on try ${pushTries} (${pushMs} ms after the kill), sink ${JSON.stringify(c)}, ` +
        `lights ${units.map((u) => `${u.id}:${lightPath(u).join('>')}`).join(' ')}`,
    );
    expect(new Set(sink.ids('read'))).toEqual(want.read);
    expect(sink.ids('read')).toHaveLength(want.read.size);
    expect(new Set(sink.ids('hit'))).toEqual(want.hit);
    expect(sink.ids('hit')).toHaveLength(want.hit.size);
    expect(c.conflicts).toBe(0);
    expect(c.malformed).toBe(0);
    // The units on node 1 saw the link go (amber at once), the single-node ones red, all back to green.
    const after = (u: FleetUnit) => u.lights.slice(lightsAtKill.get(u.id)).map((l) => l.light);
    for (const u of onN1) expect(after(u)).toContain('amber');
    for (const u of single) expect(after(u)).toContain('red');
    for (const u of units) expect(u.lights.at(-1)?.light).toBe('green');
  });
});
