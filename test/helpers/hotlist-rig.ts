/**
 * The hot-list sync tests' rig, built one way: a real mosquitto with TLS (test CA made by
 * openssl, see mosquitto.ts), TLS client options per common name, units (a hot-list stage and
 * its subscriber on one bus, trusting one admin key) and hand-made signed snapshots published as
 * the admin tool would, so that a test can get any part of one wrong. `close()` undoes all of it.
 */
import { gzipSync } from 'node:zlib';
import { CSV_COLUMNS } from '../../src/hotlist/csv.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { configSchema } from '../../src/config/schema.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import type { Hit } from '../../src/domain/types.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import {
  type BrokerOptions,
  generateAdminKey,
  type PushOptions,
  pushHotlist,
} from '../../src/hotlist/push.ts';
import {
  type Ack,
  cutChunks,
  type Manifest,
  sha256,
  signManifest,
  topics,
} from '../../src/hotlist/snapshot.ts';
import { HotlistSubscriber, type HotlistSubscriberOptions } from '../../src/hotlist/subscriber.ts';
import { type Broker, destroyMosquitto, startMosquitto } from './mosquitto.ts';
import { aesSealer } from '../../src/domain/seal.ts';

export const BASE = 'alpr';
export const AGENCY = 'pd1';
/** The id the units pin the rig's admin key under. */
export const ADMIN_KEY_ID = 'admin1';
const CHUNK = 4096;
const log = createLogger({ level: 'silent' });

export interface HotlistUnit {
  bus: Bus;
  stage: HotlistStage;
  sub: HotlistSubscriber;
  acks: Ack[];
  hits: Hit[];
}

/** What a manifest must name; the rest (format 1, sizes, digests, key id…) is filled in. */
export type ManifestFields = Pick<Manifest, 'id' | 'list' | 'listVersion' | 'entries'> &
  Partial<Omit<Manifest, 'sig'>>;

export interface HotlistRig {
  broker: Broker;
  /** Temp folder for the units' databases and the tests' files. */
  dir: string;
  admin: { privateKeyPem: string; publicKey: string };
  /** TLS client options with a client certificate for `cn`. */
  tls(cn: string): IClientOptions;
  /** The admin tool's connection (`admin` certificate), for push, status and published versions. */
  adminBroker(): BrokerOptions;
  /** `alpr hotlist push` of `file` as list SVS, signed with the admin key; `more` adds or overrides options. */
  push(file: string, more?: Partial<PushOptions>): ReturnType<typeof pushHotlist>;
  /**
   * A started unit `id` (database `<dir>/<id>.db`), subscribed; stopped by close(). `more` adds or
   * overrides subscriber options (a faster refresh).
   */
  startUnit(id: string, more?: Partial<HotlistSubscriberOptions>): Promise<HotlistUnit>;
  /** `body` cut in 4 KiB chunks and its manifest, signed with `key` (the admin's by default). */
  sign(body: Buffer, fields: ManifestFields, key?: string): { m: Manifest; chunks: Buffer[] };
  /** Publishes chunks (null: never sent), retained, and no manifest: a chunk that arrives late. */
  publishChunks(m: Manifest, chunks: (Buffer | null)[]): Promise<void>;
  /** Publishes chunks (null: never sent) then the manifest, retained, on the list's full or delta topic. */
  publish(
    m: Manifest | Record<string, unknown>,
    chunks: (Buffer | null)[],
    to?: 'manifest' | 'delta',
  ): Promise<void>;
  /** Stops the units, the broker; removes the temp folder. */
  close(): Promise<void>;
}

export async function startHotlistRig(prefix = 'alpr-hotlist-'): Promise<HotlistRig> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // The shipped reference broker: units and the admin tool work through its ACL.
  const broker = await startMosquitto({ reference: { agency: AGENCY, admin: 'admin', server: 'server' } });
  const certs = broker.certs!;
  const admin = generateAdminKey();
  const units: HotlistUnit[] = [];
  const tls = (cn: string): IClientOptions => {
    const c = certs.client(cn);
    return {
      ca: readFileSync(certs.ca),
      cert: readFileSync(c.cert),
      key: readFileSync(c.key),
      rejectUnauthorized: true,
    };
  };
  const adminBroker = (): BrokerOptions => ({
    url: broker.url,
    options: tls('admin'),
    topicBase: BASE,
    agency: AGENCY,
  });
  const publishAsAdmin = async (m: Manifest, chunks: (Buffer | null)[], to: 'manifest' | 'delta' | null) => {
    const c = await mqtt.connectAsync(broker.url, tls('admin'));
    for (let i = 0; i < chunks.length; i++) {
      const b = chunks[i];
      if (b)
        await c.publishAsync(topics.chunk(BASE, AGENCY, m.list, m.listVersion, i), b, {
          qos: 1,
          retain: true,
        });
    }
    if (to)
      await c.publishAsync(topics[to](BASE, AGENCY, m.list), JSON.stringify(m), { qos: 1, retain: true });
    await c.endAsync();
  };
  return {
    broker,
    dir,
    admin,
    tls,
    adminBroker,
    push: (file, more = {}) =>
      pushHotlist({
        ...adminBroker(),
        list: 'SVS',
        file,
        privateKeyPem: admin.privateKeyPem,
        keyId: ADMIN_KEY_ID,
        ...more,
      }),
    async startUnit(id, more = {}) {
      const bus = new Bus();
      const acks: Ack[] = [];
      const hits: Hit[] = [];
      bus.on('hit', (h) => hits.push(h));
      const config = configSchema.shape.hotlist.parse({
        adminKeys: [{ id: ADMIN_KEY_ID, publicKey: admin.publicKey }],
      });
      const stage = new HotlistStage({
        bus,
        log,
        config,
        sealer: aesSealer(Buffer.alloc(32, 7), 'hotlist'),
        dbPath: join(dir, `${id}.db`),
      });
      await stage.start();
      const sub = new HotlistSubscriber({
        mqtt: { url: broker.url, options: tls(id) },
        topicBase: BASE,
        agency: AGENCY,
        unitId: id,
        adminKeys: config.adminKeys,
        target: stage,
        log,
        chunkTimeoutMs: 1500,
        onResult: (a) => acks.push(a),
        ...more,
      });
      const u = { bus, stage, sub, acks, hits };
      units.push(u);
      await sub.start();
      await sub.whenSubscribed();
      return u;
    },
    sign(body, fields, key = admin.privateKeyPem) {
      const chunks = cutChunks(body, CHUNK);
      const m = signManifest(
        {
          type: 'hotlist-manifest',
          version: 1,
          agency: AGENCY,
          issuedAt: fields.listVersion,
          bytes: body.length,
          sha256: sha256(body),
          chunkSize: CHUNK,
          chunks: chunks.map(sha256),
          keyId: ADMIN_KEY_ID,
          ...fields,
        },
        key,
      );
      return { m, chunks };
    },
    publishChunks: (m, chunks) => publishAsAdmin(m, chunks, null),
    publish: (m, chunks, to = 'manifest') => publishAsAdmin(m as Manifest, chunks, to),
    async close() {
      for (const u of units.splice(0)) {
        await u.sub.stop();
        await u.stage.stop();
      }
      await destroyMosquitto(broker);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first ack in `acks` that `pred` accepts, waiting up to `ms` for it. */
export async function waitAck(acks: Ack[], pred: (a: Ack) => boolean, ms = 20_000): Promise<Ack> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const a = acks.find(pred);
    if (a) return a;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no matching ack; got ${JSON.stringify(acks.map((a) => a.last))}`);
}

/** A snapshot body of `list` holding `plates` (store rows: plate, state, list, priority, …), gzipped. */
export const snapshotRows = (list: string, plates: string[]) =>
  gzipSync(`${CSV_COLUMNS.join(',')}\n${plates.map((p) => `${p},,${list},1,,,,,,,,,`).join('\n')}\n`);
