/**
 * A central receiver that scales out: three `alpr central-sink` processes on a 3-node NATS
 * JetStream cluster, each storing two of the three partitions of the fleet (NATS's MQTT has no
 * shared subscriptions: `$share/…` is taken as a plain topic) into one shared store that keeps
 * each id once. One receiver is SIGKILLed while units publish and started again: nothing is lost,
 * because every partition has a second receiver (nats-server 2.9 does not give a crashed
 * session's in-flight messages back until its ack wait, and was seen to drop what was queued).
 * Under CPU starvation nats-server 2.9.10 was also seen to skip a burst of one unit's reads to a
 * receiver on another node while counting them acknowledged (README, "Receivers scale out"): with
 * the partition's other receiver the one killed, those reads are missing and this test fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitPartition } from '../../src/sync/sink.ts';
import { payloads, topics } from '../../src/sync/topics.ts';
import {
  hasNatsServer,
  NATS_SKIP_REASON,
  type NatsCluster,
  startNatsCluster,
} from '../helpers/nats-cluster.ts';
import { makeRead, tempDirs, waitFor } from '../helpers/sync-fixtures.ts';
import { readSinkCounts } from '../helpers/sync-rig.ts';
import Database from 'better-sqlite3';

const ROOT = resolve(import.meta.dirname, '../..');
const UNITS = 12;
const READS = 60;
const SINKS = 3;

if (!hasNatsServer) console.warn(`fleet-sink-scaleout: skipped, ${NATS_SKIP_REASON}`);

const sinkLogs: string[] = [];

/** Receiver i's trace of its deliveries (`alpr central-sink --trace`), beside the store. */
const traceFile = (db: string, i: number) => join(db, '..', `sink-${i + 1}.trace`);

/** The record ids each receiver's trace says reached it. */
function delivered(db: string): Set<string>[] {
  return Array.from({ length: SINKS }, (_, i) => {
    const f = traceFile(db, i);
    const ids = existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .map((l) => l.split(' '))
          .filter((w) => w[1] === 'in')
          .map((w) => w[4]!)
      : [];
    return new Set(ids);
  });
}

function spawnSink(cluster: NatsCluster, i: number, db: string): Promise<ChildProcess> {
  const urls = cluster.mqttUrls;
  const first = urls[i % urls.length]!;
  const args = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'central-sink', '--url', first, '--db', db];
  for (const u of urls.filter((x) => x !== first)) args.push('--cluster-url', u);
  args.push('--partition', `${i + 1}/${SINKS}`, '--copies', '2', '--report-every', '0');
  args.push('--trace', traceFile(db, i));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    sinkLogs.push(`[sink ${i + 1}] ${d.toString().trimEnd()}`);
  });
  return new Promise((res, rej) => {
    const t = setInterval(() => {
      if (err.includes('subscribed')) {
        clearInterval(t);
        res(child);
      } else if (child.exitCode !== null) {
        clearInterval(t);
        rej(new Error(`central-sink ${i + 1} exited: ${err}`));
      }
    }, 50);
  });
}

/** Each node's view of the MQTT sessions' JetStream consumers: what each has delivered and had acknowledged. */
async function mqttConsumers(cluster: NatsCluster): Promise<string[]> {
  const out: string[] = [];
  for (const n of cluster.nodes) {
    try {
      const r = await fetch(
        `http://127.0.0.1:${n.monitorPort}/jsz?accounts=true&streams=true&consumers=true`,
      );
      const j = (await r.json()) as {
        account_details?: {
          stream_detail?: {
            name: string;
            state?: { messages: number; last_seq: number };
            consumer_detail?: {
              name: string;
              delivered: { stream_seq: number };
              ack_floor: { stream_seq: number };
              num_ack_pending: number;
              num_redelivered: number;
              num_pending: number;
            }[];
          }[];
        }[];
      };
      for (const a of j.account_details ?? [])
        for (const st of a.stream_detail ?? []) {
          out.push(`[${n.name}] ${st.name}: ${st.state?.messages} messages, last ${st.state?.last_seq}`);
          // the QoS 1 subscriptions (acknowledged) that received anything: one per session and filter
          const acked = (st.consumer_detail ?? []).filter(
            (x) => x.delivered.stream_seq > 0 && (x.ack_floor.stream_seq > 0 || x.num_ack_pending > 0),
          );
          for (const c of acked)
            out.push(
              `[${n.name}] ${st.name}/${c.name}: delivered ${c.delivered.stream_seq}, ack floor ${c.ack_floor.stream_seq}, ack pending ${c.num_ack_pending}, redelivered ${c.num_redelivered}, pending ${c.num_pending}`,
            );
        }
    } catch (err) {
      out.push(`[${n.name}] /jsz: ${(err as Error).message}`);
    }
  }
  return out;
}

describe.skipIf(!hasNatsServer)('central receivers scale out over a NATS cluster', () => {
  let cluster: NatsCluster;
  const sinks: ChildProcess[] = [];
  const units: MqttClient[] = [];
  const tmp = tempDirs('alpr-scaleout-');
  const db = join(tmp.root, 'central.sqlite');

  beforeAll(async () => {
    // a receiver that dropped its connection mid-delivery gets the message again after 5 s, not 30
    cluster = await startNatsCluster({ nodes: 3, ackWaitS: 5 });
    for (let i = 0; i < SINKS; i++) sinks.push(await spawnSink(cluster, i, db));
    for (let u = 0; u < UNITS; u++) {
      units.push(
        await mqtt.connectAsync(cluster.mqttUrls[u % 3]!, {
          clientId: `alpr-scale-u${u}`,
          clean: false,
          protocolVersion: 4,
          reconnectPeriod: 500,
        }),
      );
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(units.map((c) => c.endAsync(true).catch(() => {})));
    for (const s of sinks) if (s.exitCode === null) s.kill('SIGKILL');
    await cluster?.destroy();
    rmSync(tmp.root, { recursive: true, force: true });
  });

  it('loses nothing when one receiver dies mid-stream; the shared store keeps each id once', {
    timeout: 120_000,
  }, async () => {
    const want = new Set<string>();
    /** Each read's unit and index, to name the missing ones. */
    const sentAs = new Map<string, { u: number; k: number }>();
    const publishRound = async (from: number, to: number) => {
      const sent: Promise<unknown>[] = [];
      for (let k = from; k < to; k++) {
        for (let u = 0; u < UNITS; u++) {
          const unit = { agency: 'metro', id: `car-${u}` };
          const r = { ...makeRead(k), unitId: unit.id };
          want.add(r.id);
          sentAs.set(r.id, { u, k });
          const body = JSON.stringify(payloads.read(unit, r, Date.now()));
          sent.push(units[u]!.publishAsync(topics('alpr', unit).read, body, { qos: 1 }));
        }
      }
      await Promise.all(sent);
    };
    await publishRound(0, READS / 3);
    // Receiver 2 dies without a word; units keep publishing; it comes back on the same session.
    sinks[1]!.kill('SIGKILL');
    await publishRound(READS / 3, READS);
    await new Promise((r) => setTimeout(r, 1000));
    sinks[1] = await spawnSink(cluster, 1, db);
    await waitFor(() => readSinkCounts(db).records >= want.size, 60_000, 'every read').catch(async (e) => {
      const d = new Database(db, { readonly: true });
      const have = new Set(d.prepare('SELECT id FROM records').pluck().all() as string[]);
      d.close();
      const missing = [...want].filter((id) => !have.has(id));
      const parts = missing.map((id) => unitPartition('metro', `car-${sentAs.get(id)?.u}`, SINKS));
      const consumers = await mqttConsumers(cluster);
      // whether the broker ever handed each missing read to each receiver (their traces)
      const got = delivered(db);
      const reached = missing.slice(0, 5).map(
        (id) =>
          `read ${sentAs.get(id)?.k} of car-${sentAs.get(id)?.u} reached receivers: ${
            got
              .map((g, i) => (g.has(id) ? i + 1 : null))
              .filter((x) => x !== null)
              .join(', ') || 'none'
          }`,
      );
      const warnings = cluster.nodes.map(
        (n) =>
          `[${n.name}] ${n
            .log()
            .split('\n')
            .filter((l) => /\[(WRN|ERR)\]/.test(l))
            .slice(-5)
            .join('\n')}`,
      );
      // The whole story goes into the error: a CI log keeps only its tail, where failures are listed.
      throw new Error(
        [
          `${(e as Error).message}: ${missing.length} of ${want.size} missing, partitions ${[...new Set(parts)]}: ${missing
            .slice(0, 5)
            .map((id) => `read ${sentAs.get(id)?.k} of car-${sentAs.get(id)?.u}`)
            .join(', ')}`,
          JSON.stringify(readSinkCounts(db)),
          ...reached,
          ...sinkLogs.slice(-12),
          ...consumers,
          ...warnings,
        ].join('\n'),
      );
    });
    const c = readSinkCounts(db);
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT id FROM records').all() as { id: string }[];
    d.close();
    console.log(
      `fleet-sink-scaleout: ${want.size} reads from ${UNITS} units over ${SINKS} receivers, ${JSON.stringify(c)}`,
    );
    expect(new Set(rows.map((r) => r.id))).toEqual(want);
    expect(rows).toHaveLength(want.size);
    // The receivers' traces account for every read: each reached the two receivers of its
    // partition, or one of them when the other was the one killed.
    const got = delivered(db);
    for (const id of want) {
      const owners = got.filter((g) => g.has(id)).length;
      expect(owners, `read ${sentAs.get(id)?.k} of car-${sentAs.get(id)?.u}`).toBeGreaterThanOrEqual(1);
    }
    expect(c.conflicts).toBe(0);
    // Two copies of every partition: the survivors stored the dead receiver's share as well.
    expect(c.duplicates).toBeGreaterThan(0);
  });
});
