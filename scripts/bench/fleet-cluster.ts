/**
 * The fleet on a 3-node NATS JetStream cluster (MQTT 3.1.1): `--units` simulated units (mqtt.js
 * clients in this process, persistent sessions, QoS 1, spread over the nodes, failing over to
 * the others) publishing reads at `--rate` per second each plus a retained heartbeat every
 * `--heartbeat-s`, received by `--sinks` `alpr central-sink` processes in SQLite, each partition
 * stored by `--copies` of them (so a receiver whose node dies loses nothing). Two phases of `--seconds`: steady, then with one node SIGKILLed a third of the way in
 * and started again at two thirds. Figures: delivered/s, unit → central latency p50/p99 (the
 * receiver's clock minus the unit's `sentAt`), loss, broker CPU and memory.
 *   npm run bench -- fleet [--units 1000] [--seconds 20] [--rate 2] [--sinks 3] [--copies 2] [--heartbeat-s 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { clusterServers } from '../../src/sync/link.ts';
import { payloads, topics } from '../../src/sync/topics.ts';
import {
  hasNatsServer,
  NATS_SKIP_REASON,
  type NatsCluster,
  startNatsCluster,
} from '../../test/helpers/nats-cluster.ts';
import { makeRead, tempDirs } from '../../test/helpers/sync-fixtures.ts';
import { ProcSampler } from './proc-sample.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function spawnSink(
  cluster: NatsCluster,
  i: number,
  n: number,
  copies: number,
  db: string,
): Promise<ChildProcess> {
  const first = cluster.mqttUrls[i % 3]!;
  const args = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'central-sink', '--url', first, '--db', db];
  for (const u of cluster.mqttUrls.filter((x) => x !== first)) args.push('--cluster-url', u);
  args.push('--partition', `${i + 1}/${n}`, '--copies', String(copies), '--protocol-version', '4');
  args.push('--client-id', 'alpr-bench-central');
  args.push('--report-every', '0');
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  for (let t = 0; t < 1200 && !err.includes('subscribed'); t++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  if (!err.includes('subscribed')) throw new Error(`central-sink ${i + 1} did not start: ${err}`);
  return child;
}

interface Phase {
  published: number;
  acked: number;
  start: number;
  end: number;
}

/** Latencies (ms) of the reads published in [start, end], and how many distinct reads arrived. */
function received(
  dbs: string[],
  start: number,
  end: number,
): { lat: number[]; reads: number; lastAt: number } {
  const lat: number[] = [];
  let lastAt = start;
  const ids = new Set<string>();
  for (const f of dbs) {
    const db = new Database(f, { readonly: true });
    const rows = db
      .prepare("SELECT id, received_at AS at, payload FROM records WHERE type = 'read'")
      .all() as { id: string; at: number; payload: string }[];
    db.close();
    for (const r of rows) {
      const sentAt = (JSON.parse(r.payload) as { sentAt: number }).sentAt;
      if (sentAt < start || sentAt > end || ids.has(r.id)) continue;
      ids.add(r.id);
      lat.push(r.at - sentAt);
      lastAt = Math.max(lastAt, r.at);
    }
  }
  return { lat: lat.sort((a, b) => a - b), reads: ids.size, lastAt };
}

export async function benchFleetCluster(): Promise<Record<string, number | string>> {
  if (!hasNatsServer) throw new Error(NATS_SKIP_REASON);
  const units = flag('units', 1000);
  const seconds = flag('seconds', 20);
  const rate = flag('rate', 2);
  const nSinks = flag('sinks', 3);
  const copies = Math.min(nSinks, flag('copies', 2));
  const heartbeatS = flag('heartbeat-s', 10);
  const tmp = tempDirs('alpr-bench-fleet-');
  const cluster = await startNatsCluster({ nodes: 3 });
  const sampler = () =>
    new ProcSampler(() => cluster.nodes.map((n) => n.pid()).filter((p): p is number => p !== null));
  const sinks: ChildProcess[] = [];
  const clients: MqttClient[] = [];
  const dbs = Array.from({ length: nSinks }, (_, i) => join(tmp.root, `central-${i + 1}.sqlite`));
  const out: Record<string, number | string> = {};
  try {
    for (let i = 0; i < nSinks; i++) sinks.push(await spawnSink(cluster, i, nSinks, copies, dbs[i]!));
    const tConnect = performance.now();
    for (let u = 0; u < units; u++) {
      const first = cluster.mqttUrls[u % 3]!;
      const more = cluster.mqttUrls.filter((x) => x !== first);
      clients.push(
        await mqtt.connectAsync(first, {
          clientId: `alpr-bench-u${u}`,
          clean: false,
          protocolVersion: 4,
          reconnectPeriod: 1000,
          keepalive: 30,
          ...clusterServers(first, more),
        }),
      );
    }
    out['units connected (s)'] = Number(((performance.now() - tConnect) / 1000).toFixed(1));
    const run = async (label: string, kill: boolean, runSeconds = seconds) => {
      const p: Phase = { published: 0, acked: 0, start: Date.now(), end: 0 };
      const cpu = sampler();
      cpu.start();
      const ticks = Math.round(runSeconds * rate);
      const t0 = performance.now();
      const hbEvery = Math.max(1, Math.round(heartbeatS * rate));
      let killedAt = 0;
      for (let k = 0; k < ticks; k++) {
        await sleep(Math.max(0, t0 + (k * 1000) / rate - performance.now()));
        if (kill && k === Math.floor(ticks / 3)) {
          killedAt = Date.now();
          await cluster.nodes[1]!.kill();
        }
        if (kill && k === Math.floor((2 * ticks) / 3)) void cluster.nodes[1]!.start();
        for (let u = 0; u < units; u++) {
          const unit = { agency: 'fleet', id: `u${u}` };
          const t = topics('alpr', unit);
          const c = clients[u]!;
          p.published++;
          const r = { ...makeRead(k), unitId: unit.id };
          const body = JSON.stringify(payloads.read(unit, r, Date.now()));
          c.publish(t.read, body, { qos: 1 }, (err) => {
            if (!err) p.acked++;
          });
          if ((k + u) % hbEvery === 0) {
            const hb = {
              type: 'heartbeat',
              version: 1,
              id: `${u}-${k}`,
              agency: 'fleet',
              unit: unit.id,
              sentAt: Date.now(),
            };
            c.publish(t.heartbeat, JSON.stringify(hb), { qos: 1, retain: true });
          }
        }
      }
      p.end = Date.now();
      const wall = (performance.now() - t0) / 1000;
      // Drain: until every read is acknowledged and stored, or nothing moves for 35 s (longer than
      // the cluster's 30 s ack wait, after which it redelivers what a receiver left unacknowledged).
      let last = '';
      let still = 0;
      for (let i = 0; i < 120 && still < 35; i++) {
        await sleep(1000);
        const n = received(dbs, p.start, p.end).reads;
        if (n >= p.published && p.acked >= p.published) break;
        const now = `${n}/${p.acked}`;
        still = now === last ? still + 1 : 0;
        last = now;
      }
      const use = cpu.stop();
      const r = received(dbs, p.start, p.end);
      out[`${label}: reads offered/s`] = Math.round(p.published / wall);
      out[`${label}: reads published / acked / stored`] = `${p.published} / ${p.acked} / ${r.reads}`;
      out[`${label}: delivered reads/s`] = Math.round(r.reads / ((r.lastAt - p.start) / 1000));
      out[`${label}: latency p50 / p99 / max ms`] =
        `${pct(r.lat, 0.5)} / ${pct(r.lat, 0.99)} / ${r.lat.at(-1)}`;
      out[`${label}: broker CPU (cores, 3 nodes)`] = Number(use.cores.toFixed(2));
      out[`${label}: broker RSS MB peak / end (3 nodes)`] =
        `${Math.round(cpu.peakRssMb)} / ${Math.round(cpu.lastRssMb)}`;
      if (kill)
        out[`${label}: node 2 down (s)`] = Number(
          ((p.start + ((2 * seconds) / 3) * 1000 - killedAt) / 1000).toFixed(1),
        );
    };
    // Warm-up (receivers' and brokers' first seconds), not reported.
    await run('warm-up', false, Math.max(2, seconds / 4));
    for (const k of Object.keys(out)) if (k.startsWith('warm-up')) delete out[k];
    await run('steady', false);
    await run('node killed', true);
    return {
      units,
      'reads/s per unit': rate,
      'heartbeat every s': heartbeatS,
      receivers: nSinks,
      'copies of each partition': copies,
      ...out,
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    for (const s of sinks) s.kill('SIGTERM');
    await sleep(500);
    await cluster.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchFleetCluster();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
}
