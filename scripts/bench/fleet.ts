/**
 * Fleet simulation: N simulated units (plain mqtt.js clients, QoS 1, persistent sessions, the
 * unit protocol's read payloads) publishing to one mosquitto, and one server subscriber.
 * Reports broker throughput and end-to-end latency (publish → server receipt).
 * ALPR_BENCH_FLEET_UNITS (default 200), ALPR_BENCH_FLEET_SECONDS (10), ALPR_BENCH_FLEET_RATE
 * (reads per second per unit, default 2).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { payloads, serverSubscriptions, topics } from '../../src/sync/topics.ts';
import { destroyMosquitto, startMosquitto } from '../../test/helpers/mosquitto.ts';
import { makeRead } from '../../test/helpers/sync-fixtures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export async function benchFleet(): Promise<Record<string, number | string>> {
  const units = Number(process.env.ALPR_BENCH_FLEET_UNITS ?? 200);
  const seconds = Number(process.env.ALPR_BENCH_FLEET_SECONDS ?? 10);
  const rate = Number(process.env.ALPR_BENCH_FLEET_RATE ?? 2);
  const broker = await startMosquitto({ persistence: false });
  const clients: MqttClient[] = [];
  const latencies: number[] = [];
  let published = 0;
  let acked = 0;
  try {
    const server = await mqtt.connectAsync(broker.url, {
      clientId: 'fleet-server',
      clean: false,
      protocolVersion: 5,
    });
    clients.push(server);
    server.on('message', (_t, payload) => {
      const m = JSON.parse(payload.toString()) as { sentAt: number };
      latencies.push(Date.now() - m.sentAt);
    });
    await server.subscribeAsync(serverSubscriptions('alpr'), { qos: 1 });
    for (let u = 0; u < units; u++) {
      const c = await mqtt.connectAsync(broker.url, {
        clientId: `alpr-fleet-u${u}`,
        clean: false,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 600 },
      });
      clients.push(c);
    }
    const t0 = performance.now();
    const ticks = seconds * rate;
    for (let k = 0; k < ticks; k++) {
      const due = t0 + (k * 1000) / rate;
      await sleep(Math.max(0, due - performance.now()));
      for (let u = 0; u < units; u++) {
        const unit = { agency: 'fleet', id: `u${u}` };
        const body = JSON.stringify(payloads.read(unit, { ...makeRead(k), unitId: unit.id }, Date.now()));
        published++;
        clients[u + 1]!.publish(topics('alpr', unit).read, body, { qos: 1 }, (err) => {
          if (!err) acked++;
        });
      }
    }
    for (let i = 0; i < 600 && latencies.length < published; i++) await sleep(50);
    const wall = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      'fleet units': units,
      'fleet reads published / acked / received': `${published} / ${acked} / ${latencies.length}`,
      'fleet offered load reads/s': units * rate,
      'fleet broker throughput reads/s (received)': Math.round(latencies.length / wall),
      'fleet latency p50 ms': pct(latencies, 0.5),
      'fleet latency p99 ms': pct(latencies, 0.99),
      'fleet latency max ms': latencies.at(-1) ?? Number.NaN,
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    await destroyMosquitto(broker);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchFleet();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(46)} ${v}\n`);
}
