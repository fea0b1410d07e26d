/**
 * Signed hot-list sync end to end over a real mosquitto with TLS (test CA made by openssl):
 * admin push of 5,000 rows → unit verify/apply/ack; tampered, unsigned, unknown-key,
 * corrupted, truncated and replayed-older snapshots are refused and the live list kept.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import type { Hit } from '../../src/domain/types.ts';
import { CSV_COLUMNS } from '../../src/hotlist/csv.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import { buildSnapshotBody, generateAdminKey, hotlistStatus, pushHotlist } from '../../src/hotlist/push.ts';
import {
  type Ack,
  cutChunks,
  type Manifest,
  sha256,
  signManifest,
  topics,
} from '../../src/hotlist/snapshot.ts';
import { HotlistSubscriber } from '../../src/hotlist/subscriber.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';

const log = createLogger({ level: 'silent' });
const BASE = 'alpr';
const AGENCY = 'pd1';

describe.skipIf(!hasMosquitto)('hot-list signed sync over mosquitto (TLS)', () => {
  let broker: Broker;
  let dir: string;
  let stage: HotlistStage;
  let sub: HotlistSubscriber;
  const bus = new Bus();
  const hits: Hit[] = [];
  const acks: Ack[] = [];
  const admin = generateAdminKey();
  const rogue = generateAdminKey();
  let tls: (cn: string) => IClientOptions;

  const waitAck = async (pred: (a: Ack) => boolean, ms = 20_000): Promise<Ack> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const a = acks.find(pred);
      if (a) return a;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no matching ack; got ${JSON.stringify(acks.map((a) => a.last))}`);
  };

  const csvOf = (name: string, rows: number, prefix: string) => {
    const f = join(dir, name);
    let t = 'plate,state,priority,case_number,reason\n';
    for (let i = 0; i < rows; i++)
      t += `${prefix}${String(i).padStart(4, '0')},CA,${1 + (i % 9)},N${i},stolen\n`;
    writeFileSync(f, t);
    return f;
  };

  /** Publishes a hand-made snapshot: lets a test tamper with any part of it. */
  async function publishRaw(m: Manifest | Record<string, unknown>, chunks: (Buffer | null)[]) {
    const c = await mqtt.connectAsync(broker.url, tls('admin'));
    const mm = m as Manifest;
    for (let i = 0; i < chunks.length; i++) {
      const b = chunks[i];
      if (b)
        await c.publishAsync(topics.chunk(BASE, AGENCY, mm.list, mm.listVersion, i), b, {
          qos: 1,
          retain: true,
        });
    }
    await c.publishAsync(topics.manifest(BASE, AGENCY, mm.list), JSON.stringify(m), { qos: 1, retain: true });
    await c.endAsync();
  }

  async function snapshot(
    list: string,
    file: string,
    version: number,
    key = admin.privateKeyPem,
    keyId = 'admin1',
  ) {
    const { body, entries } = await buildSnapshotBody(file, list, version);
    const chunks = cutChunks(body, 4096);
    const m = signManifest(
      {
        type: 'hotlist-manifest',
        version: 1,
        id: `id-${version}`,
        agency: AGENCY,
        list,
        listVersion: version,
        issuedAt: version,
        entries,
        bytes: body.length,
        sha256: sha256(body),
        chunkSize: 4096,
        chunks: chunks.map(sha256),
        keyId,
      },
      key,
    );
    return { m, chunks };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alpr-hotlist-sync-'));
    broker = await startMosquitto({ tls: true });
    const certs = broker.certs!;
    tls = (cn) => {
      const c = certs.client(cn);
      return {
        ca: readFileSync(certs.ca),
        cert: readFileSync(c.cert),
        key: readFileSync(c.key),
        rejectUnauthorized: true,
      };
    };
    bus.on('hit', (h) => hits.push(h));
    const config = configSchema.shape.hotlist.parse({
      adminKeys: [{ id: 'admin1', publicKey: admin.publicKey }],
    });
    stage = new HotlistStage({ bus, log, config, dbPath: join(dir, 'unit.db') });
    await stage.start();
    sub = new HotlistSubscriber({
      mqtt: { url: broker.url, options: tls('unit1') },
      topicBase: BASE,
      agency: AGENCY,
      unitId: 'unit1',
      adminKeys: config.adminKeys,
      target: stage,
      log,
      chunkTimeoutMs: 1500,
      onResult: (a) => acks.push(a),
    });
    await sub.start();
    await sub.whenSubscribed();
  });

  afterAll(async () => {
    await sub?.stop();
    await stage?.stop();
    await destroyMosquitto(broker);
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes 5,000 rows end to end: verified, applied, acknowledged, late hit raised', async () => {
    bus.emit('read', {
      id: 'r1',
      plate: 'SV0042',
      confidence: 0.9,
      candidates: [{ text: 'SV0042', confidence: 0.9 }],
      cameraId: 'front',
      orientation: 'front',
      capturedAt: new Date().toISOString(),
      box: { x: 0, y: 0, w: 1, h: 1 },
      position: { lat: null, lon: null, reason: 'no-gps' },
      operatorId: null,
      unitId: 'unit1',
      modelVersion: 'm',
    });
    const file = csvOf('svs.csv', 5000, 'SV');
    const progress: number[] = [];
    const { manifest } = await pushHotlist({
      url: broker.url,
      options: tls('admin'),
      topicBase: BASE,
      agency: AGENCY,
      list: 'SVS',
      file,
      privateKeyPem: admin.privateKeyPem,
      keyId: 'admin1',
      onProgress: (_p, done) => progress.push(done),
    });
    expect(manifest.entries).toBe(5000);
    const ack = await waitAck((a) => a.last.listVersion === manifest.listVersion);
    expect(ack.last).toMatchObject({ status: 'applied', reason: null });
    expect(stage.lists()).toEqual([
      expect.objectContaining({ name: 'SVS', version: manifest.listVersion, entries: 5000 }),
    ]);
    expect(hits).toEqual([expect.objectContaining({ readId: 'r1', late: true })]);
    expect(stage.match({ plate: 'SV4999', candidates: [] })).toHaveLength(1);
    expect(progress.length).toBeGreaterThan(0);
    const status = await hotlistStatus(
      { url: broker.url, options: tls('admin'), topicBase: BASE, agency: AGENCY },
      500,
    );
    expect(status.map((s) => [s.unit, s.list, s.current])).toEqual([['unit1', 'SVS', manifest.listVersion]]);
  });

  it('refuses a bad CSV with line numbers unless --skip-bad', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'plate,priority\nGOOD1,1\nX,1\nGOOD2,12\n');
    await expect(buildSnapshotBody(f, 'SVS', 1)).rejects.toMatchObject({
      details: ['line 3: plate: "X" must have 2-8 letters/digits', 'line 4: priority: "12" is not 1-9'],
    });
    const ok = await buildSnapshotBody(f, 'SVS', 1, true);
    expect(ok.entries).toBe(1);
  });

  it('refuses tampered, unsigned, foreign-key, corrupted, truncated and older snapshots', async () => {
    const live = stage.listVersion('SVS');
    const file = csvOf('svs2.csv', 300, 'NW');
    const v = live + 10;
    const cases: [string, () => Promise<void>, RegExp][] = [
      [
        'tampered manifest',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v);
          await publishRaw({ ...m, entries: m.entries + 1 }, chunks);
        },
        /bad signature/,
      ],
      [
        'unsigned',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v);
          const { sig: _sig, ...rest } = m;
          await publishRaw(rest, chunks);
        },
        /unsigned/,
      ],
      [
        'signed by a key that is not pinned',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v, rogue.privateKeyPem);
          await publishRaw(m, chunks);
        },
        /bad signature/,
      ],
      [
        'corrupted chunk',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v + 1);
          const bad = Buffer.from(chunks[0]!);
          bad[100] = bad[100]! ^ 0xff;
          await publishRaw(m, [bad, ...chunks.slice(1)]);
        },
        /chunk 0 is corrupted/,
      ],
      [
        'truncated (a chunk never arrives)',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v + 2);
          await publishRaw(m, [...chunks.slice(0, -1), null]);
        },
        /truncated: \d+ of \d+ chunks/,
      ],
      [
        'signed, but a bad row inside (and a wrong count)',
        async () => {
          const body = gzipSync(`${CSV_COLUMNS.join(',')}\nGOOD1,,SVS,1,,,,,,,,,\nX,,SVS,1,,,,,,,,,\n`);
          const m = signManifest(
            {
              type: 'hotlist-manifest',
              version: 1,
              id: 'bad-row',
              agency: AGENCY,
              list: 'SVS',
              listVersion: v + 3,
              issuedAt: v,
              entries: 2,
              bytes: body.length,
              sha256: sha256(body),
              chunkSize: 4096,
              chunks: [sha256(body)],
              keyId: 'admin1',
            },
            admin.privateKeyPem,
          );
          await publishRaw(m, [body]);
        },
        /snapshot line 3 is bad \(plate\)/,
      ],
      [
        'replayed older version',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, live - 1);
          await publishRaw(m, chunks);
        },
        /older than the live version/,
      ],
    ];
    for (const [name, act, reason] of cases) {
      const n = acks.length;
      await act();
      const a = await waitAck((x) => acks.indexOf(x) >= n);
      expect(a.last.status, name).toBe('rejected');
      expect(a.last.reason, name).toMatch(reason);
      expect(stage.listVersion('SVS'), name).toBe(live);
    }
    expect(stage.match({ plate: 'NW0001', candidates: [] })).toEqual([]);
    // A good, newer snapshot after all that is applied.
    const { m, chunks } = await snapshot('SVS', file, v + 4);
    await publishRaw(m, chunks);
    await waitAck((x) => x.last.listVersion === v + 4 && x.last.status === 'applied');
    expect(stage.match({ plate: 'NW0001', candidates: [] })).toHaveLength(1);
    expect(stage.match({ plate: 'SV0001', candidates: [] })).toEqual([]);
  });
});
