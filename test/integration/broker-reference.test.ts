/**
 * The shipped reference broker (config/mosquitto/: mosquitto.conf and alpr.acl) against the attacks
 * a unit certificate can make: harvesting the fleet's rosters, writing admin topics (a forged
 * hot-list manifest with version 2^53), publishing evidence-hold commands to itself. Each attack
 * runs against a real mosquitto; a positive control in each test shows the legitimate path works
 * on the same broker, so a test cannot pass just because nothing gets through. The broker ties
 * each client id to its certificate: no certificate can take another's session.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerHoldCommand } from '../../src/commands/hold.ts';
import { registerHotlistCommands } from '../../src/commands/hotlist.ts';
import { checkBroker } from '../../src/health/broker.ts';
import { adminKeyMap } from '../../src/domain/signed.ts';
import { generateAdminKey, publishedVersions, pushHotlist } from '../../src/hotlist/push.ts';
import { topics as hotlistTopics } from '../../src/hotlist/snapshot.ts';
import { applyHoldCommand, clientOptions, linkClientId } from '../../src/sync/link.ts';
import { pushRoster, RosterSubscriber, rosterTopic } from '../../src/sync/roster.ts';
import { rosterCopyMaker } from '../../src/commands/roster-copy.ts';
import { recipientKey } from '../../src/domain/roster-key.ts';
import { parseRoster } from '../../src/web/roster.ts';
import { payloads, serverSubscriptions, signHoldCommand, topics } from '../../src/sync/topics.ts';
import {
  type Broker,
  destroyMosquitto,
  hasMosquitto,
  REFERENCE_DIR,
  referenceSettings,
  startMosquitto,
  writeCredentials,
} from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/sync-fixtures.ts';

if (!hasMosquitto)
  console.warn('broker-reference: skipped, mosquitto not installed (apt-get install mosquitto)');

const AGENCY = 'metro';
const NAMES = { agency: AGENCY, admin: 'admin-tool', server: 'server-central' };
const ADMIN = generateAdminKey();
const KEYS = [{ id: 'admin', publicKey: ADMIN.publicKey }];
const log = pino({ level: 'silent' });
const user = (badge: string) => ({
  badge,
  name: `Officer ${badge}`,
  trained: true,
  pin: '482913',
  expires: null,
});

describe.skipIf(!hasMosquitto)('reference broker configuration (config/mosquitto)', () => {
  let broker: Broker;
  const dir = mkdtempSync(join(tmpdir(), 'alpr-broker-ref-'));
  const open: MqttClient[] = [];

  const tls = (cn: string): IClientOptions => {
    const c = broker.certs!.client(cn);
    return {
      ca: readFileSync(broker.certs!.ca),
      cert: readFileSync(c.cert),
      key: readFileSync(c.key),
      protocolVersion: 5,
      reconnectPeriod: 0,
    };
  };
  const connect = async (cn: string, clientId = `${cn}-${open.length}`) => {
    const c = await mqtt.connectAsync(broker.url, { ...tls(cn), clientId });
    open.push(c);
    return c;
  };
  /** Everything `c` receives on `filter` (retained copies included). */
  const collect = async (c: MqttClient, filter: string) => {
    const got = new Map<string, Buffer>();
    c.on('message', (t, p) => {
      if (p.length > 0) got.set(t, Buffer.from(p));
    });
    await c.subscribeAsync(filter, { qos: 1 });
    return got;
  };
  /**
   * MQTT 5: the broker refuses a publish with PUBACK 0x87 (not authorized) and then the connection
   * ends, so each attempt gets a connection of its own with the certificate of `cn`.
   */
  const refused = async (cn: string, topic: string, payload: string, retain = false) => {
    const c = await connect(cn);
    const code = await c.publishAsync(topic, payload, { qos: 1, retain }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
    expect(code, `${cn} → ${topic}`).toBe(0x87);
  };

  beforeAll(async () => {
    broker = await startMosquitto({ reference: NAMES });
  });

  afterAll(async () => {
    for (const c of open) await c.endAsync(true);
    await destroyMosquitto(broker);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships a max_packet_size and the settings the tests run', () => {
    const settings = referenceSettings();
    expect(settings).toContain('max_packet_size 4194304');
    expect(settings).toContain('use_identity_as_username true');
    expect(settings).toContain('require_certificate true');
    expect(readFileSync(join(broker.dir, 'mosquitto.conf'), 'utf8')).toContain('max_packet_size 4194304');
  });

  it('lets a unit write exactly the topics the unit publishes, and none of its commands', () => {
    const acl = readFileSync(join(REFERENCE_DIR, 'alpr.acl'), 'utf8');
    const writes = [...acl.matchAll(/^pattern write alpr\/\{\{agency\}\}\/%u\/(\S+)$/gm)].map((m) => m[1]);
    const t = topics('alpr', { agency: AGENCY, id: '%u' });
    const published = Object.entries(t)
      .filter(([k]) => k !== 'root' && k !== 'holdCommand' && k !== 'resendCommand')
      .map(([, v]) => v.slice(`${t.root}/`.length));
    const ack = hotlistTopics.ack('alpr', AGENCY, '%u', '+').slice(`${t.root}/`.length);
    expect(writes.sort()).toEqual([...published, ack].sort());
    expect(writes).not.toContain('cmd/hold');
    expect(writes).not.toContain('cmd/resend');
  });

  it('a unit certificate reads its own roster copy only: the fleet roster cannot be harvested', async () => {
    await pushRoster({
      url: broker.url,
      options: tls(NAMES.admin),
      topicBase: 'alpr',
      agency: AGENCY,
      units: ['unit-a', 'unit-b'],
      // Each copy's PIN key is wrapped to that unit's certificate, as the agency CA issued it.
      copyFor: rosterCopyMaker(
        AGENCY,
        await parseRoster(JSON.stringify([user('B1'), user('B2')]), 'json'),
        new Map(
          ['unit-a', 'unit-b'].map((u) => [u, recipientKey(readFileSync(broker.certs!.client(u).cert))]),
        ),
      ),
      privateKeyPem: ADMIN.privateKeyPem,
      keyId: 'admin',
    });
    const a = await connect('unit-a');
    const everything = await collect(a, '#');
    const admin = await collect(a, 'alpr-admin/#');
    await waitFor(() => admin.has(rosterTopic('alpr', AGENCY, 'unit-a')), 10_000, "unit A's own roster");
    // The retained copies of one subscription arrive together: B's would be here by now.
    await new Promise((r) => setTimeout(r, 300));
    expect([...admin.keys()]).toEqual([rosterTopic('alpr', AGENCY, 'unit-a')]);
    expect([...everything.keys()].filter((k) => k.includes('roster'))).toEqual([
      rosterTopic('alpr', AGENCY, 'unit-a'),
    ]);
    // Nor can a unit plant a roster on another unit's topic (or its own).
    await refused('unit-a', rosterTopic('alpr', AGENCY, 'unit-b'), '{}', true);
    await refused('unit-a', rosterTopic('alpr', AGENCY, 'unit-a'), '{}', true);
    // The unit's own subscriber applies its copy through the same ACL.
    const applied: unknown[][] = [];
    const sub = new RosterSubscriber({
      mqtt: { url: broker.url, options: tls('unit-a') },
      topicBase: 'alpr',
      agency: AGENCY,
      unitId: 'unit-a',
      adminKeys: KEYS,
      unitKey: () => readFileSync(broker.certs!.client('unit-a').key),
      applyRoster: (u) => void applied.push(u),
      log,
    });
    await sub.start();
    try {
      await waitFor(() => applied.length === 1, 10_000, 'roster applied by unit A');
    } finally {
      await sub.stop();
    }
  });

  it('a unit certificate named like an admin topic cannot write hot lists or rosters', async () => {
    const forged = JSON.stringify({ type: 'hotlist-manifest', version: 1, listVersion: 2 ** 53 });
    for (const cn of ['hotlist', 'roster', 'admin']) {
      await refused(cn, hotlistTopics.manifest('alpr', AGENCY, 'SVS'), forged, true);
      await refused(cn, `alpr/${AGENCY}/hotlist/SVS/manifest`, forged, true);
      await refused(cn, `alpr/${AGENCY}/roster`, '{}', true);
    }
    // Control: the admin certificate may.
    const adm = await connect(NAMES.admin);
    await adm.publishAsync(hotlistTopics.manifest('alpr', AGENCY, 'TEST'), '', { qos: 1, retain: true });
  });

  it('a poisoned retained manifest (version 2^53, not signed by a trusted key) does not stop the next push', async () => {
    const file = join(dir, 'svs.csv');
    writeFileSync(file, 'plate,priority\nABC123,1\n');
    const adm = await connect(NAMES.admin);
    const stranger = generateAdminKey();
    const poison = {
      type: 'hotlist-manifest',
      version: 1,
      agency: AGENCY,
      list: 'SVS',
      listVersion: 2 ** 53,
    };
    await adm.publishAsync(hotlistTopics.manifest('alpr', AGENCY, 'SVS'), JSON.stringify(poison), {
      qos: 1,
      retain: true,
    });
    await adm.publishAsync(
      hotlistTopics.delta('alpr', AGENCY, 'SVS'),
      JSON.stringify({ ...poison, version: 2, keyId: 'x', sig: stranger.publicKey }),
      { qos: 1, retain: true },
    );
    const push = () =>
      pushHotlist({
        url: broker.url,
        options: tls(NAMES.admin),
        topicBase: 'alpr',
        agency: AGENCY,
        list: 'SVS',
        file,
        privateKeyPem: ADMIN.privateKeyPem,
        keyId: 'admin',
      });
    const adminBroker = { url: broker.url, options: tls(NAMES.admin), topicBase: 'alpr', agency: AGENCY };
    // `alpr hotlist status --trust`: the forged version does not count; unchecked, it would.
    expect((await publishedVersions(adminBroker, 300)).get('SVS')?.listVersion).toBe(2 ** 53);
    expect((await publishedVersions(adminBroker, 300, KEYS)).has('SVS')).toBe(false);
    const first = await push();
    expect(first.manifest.listVersion).toBeLessThan(2 ** 53);
    // The pushed manifest replaced the poison; a second push builds on the first's signed version.
    const second = await push();
    expect(second.manifest.listVersion).toBeGreaterThan(first.manifest.listVersion);
    const u = await connect('unit-c');
    const seen = await collect(u, hotlistTopics.all('alpr', AGENCY));
    await waitFor(() => seen.has(hotlistTopics.manifest('alpr', AGENCY, 'SVS')), 10_000, 'manifest');
    const m = JSON.parse(seen.get(hotlistTopics.manifest('alpr', AGENCY, 'SVS'))!.toString());
    expect(m.listVersion).toBe(second.manifest.listVersion);
    expect(seen.has(hotlistTopics.delta('alpr', AGENCY, 'SVS'))).toBe(false);
    expect((await publishedVersions(adminBroker, 300, KEYS)).get('SVS')?.listVersion).toBe(
      second.manifest.listVersion,
    );
  });

  it('`alpr hotlist status` with the admin certificate answers (its connections do not throw each other off)', async () => {
    const c = broker.certs!.client(NAMES.admin);
    const program = new Command().exitOverride();
    registerHotlistCommands(program);
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      out.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(
        [
          ...['hotlist', 'status', '--url', broker.url, '--agency', AGENCY, '--ca', broker.certs!.ca],
          ...['--cert', c.cert, '--client-key', c.key, '--trust', `admin=${ADMIN.publicKey}`],
        ],
        { from: 'user' },
      );
    } finally {
      process.stdout.write = write;
    }
    // the list pushed above is published, signed by the pinned key
    expect(out.join('')).toMatch(/^published SVS\s+\d+\s+[\d.]+ h old$/m);
  });

  it('a unit cannot publish evidence-hold commands to itself or to another unit', async () => {
    const unitA = { agency: AGENCY, id: 'unit-a' };
    const signed = (id: string) =>
      JSON.stringify(
        signHoldCommand(
          { id, unit: unitA, action: 'release', ref: 'CASE-1', readIds: ['r1'], issuedAt: Date.now() },
          ADMIN.privateKeyPem,
          'admin',
        ),
      );
    await refused('unit-a', topics('alpr', unitA).holdCommand, signed('self'));
    await refused('unit-b', topics('alpr', unitA).holdCommand, signed('other'));
    // The unit listens only now: a certificate holds one connection, so the attempts above, made
    // with unit A's own certificate, would have replaced this one.
    const a = await connect('unit-a');
    const got: Buffer[] = [];
    a.on('message', (t, p) => {
      if (t === topics('alpr', unitA).holdCommand) got.push(Buffer.from(p));
    });
    await a.subscribeAsync(topics('alpr', unitA).holdCommand, { qos: 1 });
    // The server may; what it sends unsigned, the unit ignores; what it sends signed, the unit obeys.
    const server = await connect(NAMES.server);
    await server.publishAsync(
      topics('alpr', unitA).holdCommand,
      JSON.stringify({
        type: 'hold',
        version: 1,
        id: 'unsigned',
        action: 'release',
        ref: 'CASE-1',
        readIds: ['r1'],
      }),
      { qos: 1 },
    );
    await server.publishAsync(topics('alpr', unitA).holdCommand, signed('good'), { qos: 1 });
    await waitFor(() => got.length === 2, 10_000, 'the server commands');
    const calls: string[][] = [];
    const holds = { setHold: (ids: readonly string[]) => calls.push([...ids]) };
    const keys = adminKeyMap(KEYS);
    const results = got.map((p) => applyHoldCommand(p, holds, unitA, Date.now(), log, keys, () => {}));
    expect(results[0]).toBeNull();
    expect(JSON.parse(results[1]!).requestId).toBe('good');
    expect(calls).toEqual([['r1']]);
  });

  it('a unit cannot send resend commands to itself or another unit; the server can, and its unit reads them', async () => {
    const unitA = { agency: AGENCY, id: 'unit-a' };
    const cmd = (from: number) => JSON.stringify(payloads.resend(unitA, from, from + 3_600_000));
    const topic = topics('alpr', unitA).resendCommand;
    await refused('unit-a', topic, cmd(0));
    await refused('unit-b', topic, cmd(3_600_000));
    const a = await connect('unit-a');
    const got: number[] = [];
    a.on('message', (t, p) => {
      if (t === topic) got.push(JSON.parse(p.toString()).from);
    });
    await a.subscribeAsync(topic, { qos: 1 });
    const server = await connect(NAMES.server);
    await server.publishAsync(topic, cmd(7_200_000), { qos: 1 });
    await waitFor(() => got.length === 1, 10_000, 'the server command');
    // only the server's: the units' two attempts never reached the unit
    expect(got).toEqual([7_200_000]);
  });

  it('`alpr sync hold` signs and sends with the server certificate; with a unit certificate it is refused', async () => {
    const unitA = { agency: AGENCY, id: 'unit-a' };
    const key = join(dir, 'admin.key');
    writeFileSync(key, ADMIN.privateKeyPem, { mode: 0o600 });
    const run = (cn: string, id: string, reads = 'r7,r8') => {
      const c = broker.certs!.client(cn);
      const program = new Command().exitOverride();
      registerHoldCommand(program);
      return program.parseAsync(
        [
          ...['sync', 'hold', '--unit', 'unit-a', '--agency', AGENCY, '--ref', 'CASE-7', '--reads', reads],
          ...['--id', id, '--key', key, '--url', broker.url, '--ca', broker.certs!.ca],
          ...['--cert', c.cert, '--client-key', c.key],
        ],
        { from: 'user' },
      );
    };
    await expect(run('unit-a', 'from-unit')).rejects.toThrow(/refused/);
    // The unit listens after its own certificate's attempt (which would have replaced it).
    const a = await connect('unit-a');
    const got: Buffer[] = [];
    a.on('message', (_t, p) => got.push(Buffer.from(p)));
    await a.subscribeAsync(topics('alpr', unitA).holdCommand, { qos: 1 });
    await run(NAMES.server, 'from-server');
    await waitFor(() => got.length === 1, 10_000, 'the command at the unit');
    const calls: string[][] = [];
    const holds = { setHold: (ids: readonly string[]) => calls.push([...ids]) };
    const out = applyHoldCommand(got[0]!, holds, unitA, Date.now(), log, adminKeyMap(KEYS), () => {});
    expect(JSON.parse(out!).requestId).toBe('from-server');
    expect(calls).toEqual([['r7', 'r8']]);

    // A hold for 1,500 reads (more than one command holds) arrives as several, each obeyed.
    const many = Array.from(
      { length: 1500 },
      (_, i) => `read-${String(i).padStart(4, '0')}-${'x'.repeat(24)}`,
    );
    await run(NAMES.server, 'big-case', many.join(','));
    await waitFor(() => got.length > 2, 10_000, 'the first parts at the unit');
    const applied = new Set<string>();
    const answered: string[] = [];
    let n = 1;
    await waitFor(
      () => {
        for (; n < got.length; n++) {
          calls.length = 0;
          const o = applyHoldCommand(got[n]!, holds, unitA, Date.now(), log, adminKeyMap(KEYS), () => {});
          answered.push(JSON.parse(o!).requestId);
          for (const ids of calls) for (const r of ids) applied.add(r);
        }
        return applied.size === many.length;
      },
      10_000,
      'every part of the big hold',
    );
    expect(answered.length).toBeGreaterThan(1);
    expect(answered).toEqual(answered.map((_, k) => `big-case-${k + 1}`));
  });

  it("another unit's certificate cannot take a unit's client id, not even the real one: the broker binds ids to certificates", async () => {
    const unitB = { agency: AGENCY, id: 'unit-b' };
    const idFile = join(dir, 'mqtt-client-id');
    const cfg = { topicBase: 'alpr', protocolVersion: 5, keepaliveSeconds: 30 } as Parameters<
      typeof clientOptions
    >[0];
    const offline = JSON.stringify(payloads.status(unitB, 'offline', 0));
    const id = linkClientId(unitB, idFile);
    // Kept across restarts, unguessable from outside (a second guard for brokers that do not bind).
    expect(linkClientId(unitB, idFile)).toBe(id);
    expect(id).toMatch(/^alpr-metro-unit-b-[0-9a-f]{32}$/);
    const b = await mqtt.connectAsync(broker.url, {
      ...clientOptions(cfg, unitB, tls('unit-b'), offline, id),
      reconnectPeriod: 0,
    });
    open.push(b);
    let kicked = false;
    b.on('close', () => {
      kicked = true;
    });
    // Every id an attacker can derive from the unit id, and the unit's real one, from unit A's
    // certificate: each connects (as unit A) and leaves, and unit B stays connected.
    for (const guess of [`alpr-${AGENCY}-unit-b`, 'unit-b', `alpr-${AGENCY}-unit-b-selftest`, id]) {
      const a = await mqtt.connectAsync(broker.url, { ...tls('unit-a'), clientId: guess });
      await a.endAsync();
    }
    expect(kicked).toBe(false);
    // Still connected: a round trip on it succeeds.
    await b.publishAsync(topics('alpr', unitB).status, '{"type":"status"}', { qos: 1, retain: true });
    expect(kicked).toBe(false);
    expect(broker.log()).toMatch(/New client connected from \S+ as unit-a \(/);
    // Control: the broker does take a session over by certificate. A second connection with unit
    // B's own certificate, whatever client id it asks for, replaces the first.
    const again = await mqtt.connectAsync(broker.url, { ...tls('unit-b'), clientId: 'any-other-id' });
    await waitFor(() => kicked, 10_000, "the unit's own certificate replacing its connection");
    await again.endAsync();
  });

  it("a unit that takes another unit's client id gets none of that unit's queued commands", async () => {
    const unitB = { agency: AGENCY, id: 'unit-b' };
    const clientId = `alpr-${AGENCY}-unit-b`;
    const session = { clean: false, properties: { sessionExpiryInterval: 3600 } };
    const b = await mqtt.connectAsync(broker.url, { ...tls('unit-b'), clientId, ...session });
    await b.subscribeAsync(topics('alpr', unitB).holdCommand, { qos: 1 });
    await b.endAsync();
    const server = await connect(NAMES.server);
    const cmd = (id: string) =>
      JSON.stringify(
        signHoldCommand(
          { id, unit: unitB, action: 'hold', ref: 'CASE-9', readIds: ['r9'], issuedAt: Date.now() },
          ADMIN.privateKeyPem,
          'admin',
        ),
      );
    await server.publishAsync(topics('alpr', unitB).holdCommand, cmd('queued-1'), { qos: 1 });
    // Unit A's certificate, unit B's client id and persistent session: the broker resumes B's
    // session for it, but delivers nothing that A's certificate may not read.
    const got: string[] = [];
    const a = mqtt.connect(broker.url, {
      ...tls('unit-a'),
      clientId,
      ...session,
      manualConnect: true,
    });
    a.on('message', (t) => got.push(t));
    a.connect();
    open.push(a);
    await new Promise<void>((r) => (a.connected ? r() : a.once('connect', () => r())));
    await server.publishAsync(topics('alpr', unitB).holdCommand, cmd('live-1'), { qos: 1 });
    // Control on the same broker: unit B, subscribed live, receives the next command.
    const b2 = await connect('unit-b', `alpr-${AGENCY}-unit-b-check`);
    const bGot: string[] = [];
    b2.on('message', (_t, p) => bGot.push(JSON.parse(p.toString()).id));
    await b2.subscribeAsync(topics('alpr', unitB).holdCommand, { qos: 1 });
    await server.publishAsync(topics('alpr', unitB).holdCommand, cmd('live-2'), { qos: 1 });
    await waitFor(() => bGot.includes('live-2'), 10_000, 'unit B gets its command');
    expect(got).toEqual([]);
  });

  it("the self-test's broker check, which gets the unit's own session there, leaves the unit's queued commands queued", async () => {
    const unitC = { agency: AGENCY, id: 'unit-c' };
    const cfg = { topicBase: 'alpr', protocolVersion: 5, keepaliveSeconds: 30 } as Parameters<
      typeof clientOptions
    >[0];
    const offline = JSON.stringify(payloads.status(unitC, 'offline', 0));
    const link = () =>
      mqtt.connectAsync(broker.url, {
        ...clientOptions(cfg, unitC, tls('unit-c'), offline),
        reconnectPeriod: 0,
      });
    const first = await link();
    await first.subscribeAsync(topics('alpr', unitC).holdCommand, { qos: 1 });
    await first.endAsync();
    const server = await connect(NAMES.server);
    const cmd = JSON.stringify(
      signHoldCommand(
        {
          id: 'while-away',
          unit: unitC,
          action: 'hold',
          ref: 'CASE-3',
          readIds: ['r3'],
          issuedAt: Date.now(),
        },
        ADMIN.privateKeyPem,
        'admin',
      ),
    );
    await server.publishAsync(topics('alpr', unitC).holdCommand, cmd, { qos: 1 });
    const creds = join(dir, 'creds-c');
    writeCredentials(creds, broker.certs!, 'unit-c');
    for (const protocolVersion of [5, 4] as const) {
      const check = await checkBroker({
        url: broker.url,
        protocolVersion,
        unit: unitC,
        credentialsDir: creds,
        caFile: 'ca.crt',
        certFile: 'client.crt',
        keyFile: 'client.key',
      });
      expect(check.result, check.detail).toBe('pass');
    }
    // The unit comes back: its session, and the command queued in it, are still there.
    const got: string[] = [];
    const back = mqtt.connect(broker.url, {
      ...clientOptions(cfg, unitC, tls('unit-c'), offline),
      reconnectPeriod: 0,
      manualConnect: true,
    });
    back.on('message', (_t, p) => got.push(JSON.parse(p.toString()).id));
    back.connect();
    open.push(back);
    await waitFor(() => got.includes('while-away'), 10_000, 'the queued command after the self-test');
  });

  it('the server still receives what units send', async () => {
    const server = await connect(NAMES.server);
    const got = new Map<string, Buffer>();
    server.on('message', (t, p) => got.set(t, Buffer.from(p)));
    for (const f of serverSubscriptions('alpr')) await server.subscribeAsync(f, { qos: 1 });
    const a = await connect('unit-a');
    const t = topics('alpr', { agency: AGENCY, id: 'unit-a' });
    await a.publishAsync(t.read, '{"type":"read"}', { qos: 1 });
    await a.publishAsync(t.holdResult, '{"type":"holdResult"}', { qos: 1 });
    await waitFor(() => got.has(t.read) && got.has(t.holdResult), 10_000, 'unit messages at the server');
    // …but one unit's certificate cannot write under another unit's name.
    await refused('unit-a', topics('alpr', { agency: AGENCY, id: 'unit-b' }).read, '{"type":"read"}');
  });
});
