/**
 * Starts a real NATS JetStream cluster (Debian's nats-server) on loopback: N nodes routed to one
 * another, each with JetStream in its own temp folder and an MQTT listener (MQTT 3.1.1; sessions,
 * retained messages and QoS 1 queues in JetStream streams replicated on every node). A node can be
 * killed (SIGKILL) and started again on the same ports and folder. Used by the fleet tests and
 * `npm run bench -- fleet`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { waitPort } from './wait-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
export const hasNatsServer = existsSync(NATS_SERVER);
export const NATS_SKIP_REASON = `nats-server not installed (${NATS_SERVER}; apt-get install nats-server, or scripts/setup.sh --test)`;

export interface NatsNode {
  name: string;
  /** The node's MQTT listener, mqtt://127.0.0.1:<port>. */
  mqttUrl: string;
  mqttPort: number;
  /** The NATS client port (for monitoring and the JetStream API). */
  clientPort: number;
  /** The HTTP monitoring port (/varz, /jsz). */
  monitorPort: number;
  pid(): number | null;
  running(): boolean;
  /** Starts the node again after kill()/stop(), on the same ports and JetStream folder. */
  start(): Promise<void>;
  /** SIGKILL: no clean shutdown, no flush; what JetStream had not replicated is the cluster's to keep. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  log(): string;
}

export interface NatsCluster {
  dir: string;
  nodes: NatsNode[];
  /** Every node's MQTT URL, in node order (a unit's `url` plus `clusterUrls`). */
  mqttUrls: string[];
  /** Resolves once every running node answers on its MQTT port and JetStream has a leader. */
  ready(timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

export interface NatsClusterOptions {
  nodes?: number;
  /** Replicas of the MQTT streams (sessions, messages, retained); default: every node, at most 3. */
  replicas?: number;
  /** The largest message (bytes); the reference 4 MiB, above every message of the contract. */
  maxPayload?: number;
  /** How long the broker waits for a receiver's PUBACK before sending again (reference 30 s). */
  ackWaitS?: number;
}

/** One node's configuration file (nats-server's own format). */
export function nodeConfig(o: {
  name: string;
  dir: string;
  clientPort: number;
  clusterPort: number;
  monitorPort: number;
  mqttPort: number;
  routes: number[];
  replicas: number;
  maxPayload: number;
  ackWaitS?: number;
}): string {
  return `server_name: ${o.name}
listen: 127.0.0.1:${o.clientPort}
http: 127.0.0.1:${o.monitorPort}
max_payload: ${o.maxPayload}
jetstream {
  store_dir: "${o.dir}"
  max_memory_store: 256MB
  max_file_store: 4GB
}
cluster {
  name: alpr
  listen: 127.0.0.1:${o.clusterPort}
  routes: [${o.routes.map((p) => `nats://127.0.0.1:${p}`).join(', ')}]
}
mqtt {
  listen: 127.0.0.1:${o.mqttPort}
  stream_replicas: ${o.replicas}
  ack_wait: "${o.ackWaitS ?? 30}s"
  max_ack_pending: 1024
}
`;
}

export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const n = opts.nodes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'alpr-nats-'));
  const ports: { client: number; cluster: number; monitor: number; mqtt: number }[] = [];
  for (let i = 0; i < n; i++) {
    ports.push({
      client: await freePort(),
      cluster: await freePort(),
      monitor: await freePort(),
      mqtt: await freePort(),
    });
  }
  const nodes = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store, { recursive: true });
    const conf = join(dir, `${name}.conf`);
    writeFileSync(
      conf,
      nodeConfig({
        name,
        dir: store,
        clientPort: p.client,
        clusterPort: p.cluster,
        monitorPort: p.monitor,
        mqttPort: p.mqtt,
        routes: ports.filter((_, j) => j !== i).map((q) => q.cluster),
        replicas: opts.replicas ?? Math.min(3, n),
        maxPayload: opts.maxPayload ?? 4 * 1024 * 1024,
        ackWaitS: opts.ackWaitS,
      }),
    );
    return makeNode(name, conf, join(dir, `${name}.log`), p);
  });
  const cluster: NatsCluster = {
    dir,
    nodes,
    mqttUrls: nodes.map((x) => x.mqttUrl),
    async ready(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (const node of nodes.filter((x) => x.running())) {
        if (!(await waitPort(node.mqttPort, until - Date.now())))
          throw new Error(`nats-server ${node.name}: MQTT port ${node.mqttPort} not open:\n${node.log()}`);
      }
      while (Date.now() < until) {
        if (await jetStreamHasLeader(nodes.find((x) => x.running())!)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`nats cluster: no JetStream meta leader in ${timeoutMs} ms`);
    },
    async destroy() {
      await Promise.all(nodes.map((x) => x.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await Promise.all(nodes.map((x) => x.start()));
  await cluster.ready(60_000);
  return cluster;
}

/** True once the node's /jsz reports a JetStream meta leader (the cluster can create streams). */
async function jetStreamHasLeader(node: NatsNode): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`);
    const j = (await r.json()) as { meta_cluster?: { leader?: string } };
    return Boolean(j.meta_cluster?.leader);
  } catch {
    return false;
  }
}

function makeNode(
  name: string,
  conf: string,
  logFile: string,
  p: { client: number; monitor: number; mqtt: number },
): NatsNode {
  let child: ChildProcess | null = null;
  const exited = (c: ChildProcess) =>
    new Promise<void>((res) =>
      c.exitCode !== null || c.signalCode !== null ? res() : c.once('exit', () => res()),
    );
  const node: NatsNode = {
    name,
    mqttUrl: `mqtt://127.0.0.1:${p.mqtt}`,
    mqttPort: p.mqtt,
    clientPort: p.client,
    monitorPort: p.monitor,
    pid: () => child?.pid ?? null,
    running: () => child !== null,
    async start() {
      if (child) return;
      const c = spawn(NATS_SERVER, ['-c', conf, '-l', logFile], { stdio: ['ignore', 'ignore', 'ignore'] });
      child = c;
      c.once('exit', () => {
        if (child === c) child = null;
      });
      if (!(await waitPort(p.mqtt, 20_000))) {
        c.kill('SIGKILL');
        throw new Error(`nats-server ${name} did not listen on ${p.mqtt}:\n${node.log()}`);
      }
    },
    async kill() {
      const c = child;
      if (!c) return;
      c.kill('SIGKILL');
      await exited(c);
      child = null;
    },
    async stop() {
      const c = child;
      if (!c) return;
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.kill('SIGTERM');
      await exited(c);
      clearTimeout(t);
      child = null;
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
  return node;
}
