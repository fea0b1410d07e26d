/**
 * No egress but the broker: the real daemon (`alpr run` on the demo frames, the replayed NMEA route
 * and a hot list with a hit) runs inside a fresh network namespace whose only way out is a veth
 * pair to the host, with a default route through it (any connection attempt anywhere leaves
 * through the veth) and a resolv.conf naming the host end (any DNS lookup, e.g. onnxruntime's
 * telemetry host, leaves through it too). Mosquitto listens on the host end. tcpdump on the host
 * end records every packet the namespace sends except to the broker's address and port; the run
 * must leave that record empty while the broker does receive the daemon's reads and hit.
 * A second case proves the recorder can see egress: a one-line node process in the same namespace
 * opens a TCP connection to 10.255.255.1:443 and looks up a name, and both must show up.
 *
 * IPv6 is off in the namespace: with it on, the kernel's own router solicitations and MLD reports
 * would be recorded; the namespace has no IPv6 route, so no IPv6 connection could leave anyway.
 * The host end does not forward (net.ipv4.conf.<veth>.forwarding=0): nothing reaches the network.
 * Needs root, `ip netns`, tcpdump and mosquitto; skipped otherwise.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { waitPort } from '../helpers/wait-port.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralSink } from '../../src/sync/sink.ts';
import { ROOT } from '../helpers/cli.ts';
import { DEMO_HOT, DEMO_PLATES, demoDaemonConfig } from '../helpers/demo.ts';
import { hasMosquitto, MOSQUITTO } from '../helpers/mosquitto.ts';

const TCPDUMP = '/usr/bin/tcpdump';

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return '`ip netns` unavailable';
  if (spawnSync(TCPDUMP, ['--version']).status !== 0)
    return 'tcpdump not installed (apt-get install tcpdump)';
  if (!hasMosquitto) return 'mosquitto not installed (apt-get install mosquitto)';
  return null;
}
const skip = skipReason();
if (skip) console.warn(`egress-netns: skipped, ${skip}`);

const id = randomBytes(3).toString('hex');
const NS = `alpr-eg-${id}`;
const VETH_HOST = `ae${id}h`;
const VETH_NS = `ae${id}n`;
const net = `10.${200 + (randomBytes(1)[0]! % 50)}.${randomBytes(1)[0]!}`;
const HOST_IP = `${net}.1`;
const NS_IP = `${net}.2`;
const BROKER_PORT = 1883;
/** An address outside the veth's /30: reached through the default route. */
const PROBE_IP = '10.255.255.1';

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function inNs(args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn('ip', ['netns', 'exec', NS, ...args], { cwd: ROOT, stdio: 'pipe', env });
}

/** tcpdump on the host end, inbound only (what the namespace sends), the broker's traffic excluded. */
async function record(): Promise<{ stop(): Promise<string[]> }> {
  const filter = `not arp and not (dst host ${HOST_IP} and tcp dst port ${BROKER_PORT})`;
  const c = spawn(TCPDUMP, ['-n', '-l', '-tt', '-Q', 'in', '-i', VETH_HOST, filter], { stdio: 'pipe' });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const listening = new Promise<void>((res, rej) => {
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) res();
    });
    c.once('exit', (code) => rej(new Error(`tcpdump exited ${code}: ${err}`)));
  });
  await listening;
  return {
    async stop() {
      await new Promise<void>((res) => {
        c.once('exit', () => res());
        c.kill('SIGINT');
        setTimeout(() => c.kill('SIGKILL'), 5000).unref();
      });
      return out.split('\n').filter((l) => l.trim() !== '');
    },
  };
}

describe.skipIf(skip !== null)('no egress but the broker: `alpr run` in its own network namespace', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-egress-netns-'));
  let broker: ChildProcess | undefined;
  let brokerLog = '';
  let sink: CentralSink | undefined;

  beforeAll(async () => {
    sh('ip', ['netns', 'add', NS]);
    for (const k of ['all', 'default'])
      sh('ip', ['netns', 'exec', NS, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`]);
    sh('ip', ['link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS, 'netns', NS]);
    sh('sysctl', ['-qw', `net.ipv4.conf.${VETH_HOST}.forwarding=0`]);
    sh('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST]);
    sh('ip', ['link', 'set', VETH_HOST, 'up']);
    sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', VETH_NS]);
    sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', VETH_NS, 'up']);
    sh('ip', ['netns', 'exec', NS, 'ip', 'route', 'add', 'default', 'via', HOST_IP]);
    mkdirSync(`/etc/netns/${NS}`, { recursive: true });
    writeFileSync(`/etc/netns/${NS}/resolv.conf`, `nameserver ${HOST_IP}\n`);

    const conf = join(tmp, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${BROKER_PORT} ${HOST_IP}`,
        'user root',
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        '',
      ].join('\n'),
    );
    broker = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    broker.stderr?.on('data', (d: Buffer) => {
      brokerLog += d.toString();
    });
    if (!(await waitPort(BROKER_PORT, 10_000, HOST_IP)))
      throw new Error(`mosquitto did not listen:\n${brokerLog}`);
    sink = new CentralSink({
      url: `mqtt://${HOST_IP}:${BROKER_PORT}`,
      dbFile: join(tmp, 'sink.sqlite'),
      topicBase: 'alpr',
    });
    await sink.start();
  }, 30_000);

  afterAll(async () => {
    await sink?.stop().catch(() => {});
    if (broker && broker.exitCode === null) {
      await new Promise<void>((res) => {
        broker!.once('exit', () => res());
        broker!.kill('SIGTERM');
        setTimeout(() => broker!.kill('SIGKILL'), 5000).unref();
      });
    }
    // Deleting the namespace removes its veth end, and with it the host end.
    spawnSync('ip', ['netns', 'del', NS]);
    spawnSync('ip', ['link', 'del', VETH_HOST]);
    rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the daemon reads, hits and syncs, and sends no packet anywhere but the broker', async () => {
    mkdirSync(join(tmp, 'data'));
    mkdirSync(join(tmp, 'creds'));
    writeFileSync(join(tmp, 'creds', 'store.key'), 'ab'.repeat(32));
    const config = join(tmp, 'config.yaml');
    writeFileSync(
      config,
      demoDaemonConfig({
        unit: 'eg-0001',
        agency: 'eg-pd',
        dataDir: join(tmp, 'data'),
        credentialsDir: join(tmp, 'creds'),
        sync: `{ type: mqtt, url: 'mqtt://${HOST_IP}:${BROKER_PORT}', insecure: true }`,
      }),
    );
    const rec = await record();
    // The environment sets nothing about onnxruntime's telemetry: the daemon must turn it off itself.
    const env = { ...process.env, ALPR_LOG_PLATES: '0', ORT_DISABLE_TELEMETRY: undefined };
    const child = inNs(
      [process.execPath, '--import', 'tsx', resolve(ROOT, 'src/cli.ts'), 'run', '--config', config],
      env,
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const plates = DEMO_PLATES.map((p) => p.plate);
    const deadline = Date.now() + 100_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const n = sink!.counts().byType;
      if (n.read === plates.length && n.hit === 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGTERM');
    const code = await exited;
    const egress = await rec.stop();

    // The run is real: the broker got every read and the hit from the daemon, which stopped cleanly.
    expect(sink!.counts().byType.read, `${stderr}\n${stdout.slice(-4000)}`).toBe(plates.length);
    expect(sink!.counts().byType.hit).toBe(1);
    expect(stdout).toContain(DEMO_HOT);
    expect(code, stderr).toBe(0);
    // Nothing but the broker: every other packet out of the namespace is listed here.
    expect(egress, `packets out of the namespace, not to the broker:\n${egress.join('\n')}`).toEqual([]);
  }, 150_000);

  it('the recorder sees a connection attempt and a DNS lookup from the same namespace', async () => {
    const rec = await record();
    const probe = inNs([
      process.execPath,
      '-e',
      `const s=require('net').connect(443,'${PROBE_IP}');s.on('error',()=>{});require('dns').lookup('mobile.events.data.microsoft.com',()=>{});setTimeout(()=>process.exit(0),2000)`,
    ]);
    await new Promise((r) => probe.once('exit', r));
    const seen = await rec.stop();
    const text = seen.join('\n');
    expect(text, text).toContain(`${NS_IP}.`);
    expect(
      seen.some((l) => l.includes(`> ${PROBE_IP}.443:`)),
      text,
    ).toBe(true);
    expect(
      seen.some((l) => l.includes(`> ${HOST_IP}.53:`)),
      text,
    ).toBe(true);
  }, 30_000);
});
