/**
 * The whole daemon on the shipped reference broker configuration (config/mosquitto), which ties
 * each client id to its certificate (`use_username_as_clientid`): a certificate holds one
 * connection, and a second one with it replaces the first. So the unit must do everything on one
 * connection: upload its reads, take a signed hot list pushed by an admin and acknowledge it, and
 * listen for its roster and commands. Were the hot-list or roster subscriber to open a connection
 * of its own, the broker would close one of them at every connect (its log says
 * "already connected, closing old connection") and this test fails on that.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../src/hotlist/snapshot.ts';
import { generateAdminKey, hotlistStatus, pushHotlist } from '../../src/hotlist/push.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { spawnCli } from '../helpers/cli.ts';
import { DEMO_PLATES, demoUnitOnBroker } from '../helpers/demo.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/sync-fixtures.ts';

if (!hasMosquitto)
  console.warn('daemon-reference-broker: skipped, mosquitto not installed (apt-get install mosquitto)');

const UNIT = 'ref-0001';
const AGENCY = 'ref-pd';
const NAMES = { agency: AGENCY, admin: 'admin-tool', server: 'server-central' };
const ADMIN = generateAdminKey();

describe.skipIf(!hasMosquitto)('alpr run on the reference broker: one connection per unit', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-refbroker-'));
  let broker: Broker;
  let sink: CentralSink;
  let code: number | null = null;
  let acks: Ack[] = [];
  let stderr = '';

  beforeAll(async () => {
    broker = await startMosquitto({ reference: NAMES });
    const certs = broker.certs!;
    let config: string;
    ({ sink, config } = await demoUnitOnBroker({
      tmp,
      broker,
      unit: UNIT,
      agency: AGENCY,
      serverCn: NAMES.server,
      edit: (yaml) =>
        yaml.replace('hotlist: {', `hotlist: { adminKeys: [{ id: admin, publicKey: '${ADMIN.publicKey}' }],`),
    }));
    const child = spawnCli(['run', '--config', config], { env: { ALPR_LOG_PLATES: '0' } });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      // The link is up once the first read reaches the server.
      await waitFor(() => (sink.counts().byType.read ?? 0) > 0, 60_000, 'the first read at the server');
      const csv = join(tmp, 'stolen.csv');
      writeFileSync(csv, 'plate,state,reason\nZZT4471,CA,stolen vehicle\n');
      const admin = certs.client(NAMES.admin);
      const adminBroker = {
        url: broker.url,
        topicBase: 'alpr',
        agency: AGENCY,
        options: {
          ca: readFileSync(certs.ca),
          cert: readFileSync(admin.cert),
          key: readFileSync(admin.key),
          rejectUnauthorized: true,
        },
      };
      await pushHotlist({
        ...adminBroker,
        list: 'STOLEN',
        file: csv,
        privateKeyPem: ADMIN.privateKeyPem,
        keyId: 'admin',
      });
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        acks = (await hotlistStatus(adminBroker, 300)).filter((a) => a.unit === UNIT);
        if (acks.some((a) => a.list === 'STOLEN' && a.last?.status === 'applied')) break;
      }
      await waitFor(
        () => sink.counts().byType.read === DEMO_PLATES.length,
        60_000,
        'every demo read at the server',
      );
    } finally {
      child.kill('SIGTERM');
      code = await exited;
    }
    if (code !== 0) console.error(stderr);
  }, 150_000);

  afterAll(async () => {
    await sink?.stop();
    await destroyMosquitto(broker);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('uploads every read and takes a pushed hot list, acknowledged back to the admin', () => {
    expect(sink.counts().byType.read).toBe(DEMO_PLATES.length);
    const stolen = acks.find((a) => a.list === 'STOLEN');
    expect(stolen?.last?.status).toBe('applied');
    expect(stolen?.current).toBeGreaterThan(0);
  });

  it('did it all on one connection, named by its certificate: the broker never replaced one', () => {
    const log = broker.log();
    const mine = log
      .split('\n')
      .filter((l) => l.includes(`New client connected`) && l.includes(` as ${UNIT} (`));
    expect(mine).toHaveLength(1);
    expect(log).not.toMatch(new RegExp(`Client ${UNIT} already connected`));
  });

  it('stops cleanly on SIGTERM', () => {
    expect(code).toBe(0);
  });
});
