/**
 * Admin side of hot-list sync: validate a CSV, build a gzip snapshot, sign it with the admin's
 * Ed25519 key, publish chunks then the retained manifest, and clear the previous version's chunks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createGzip } from 'node:zlib';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { uuidv7 } from '../domain/ids.ts';
import { CSV_COLUMNS, type CsvError, csvEntries, entryToCsv, fileLines } from './csv.ts';
import {
  type Ack,
  CHUNK_SIZE,
  cutChunks,
  type Manifest,
  publicKeyBase64,
  SNAPSHOT_FORMAT,
  sha256,
  signManifest,
  topics,
} from './snapshot.ts';

export interface BrokerOptions {
  url: string;
  options?: IClientOptions;
  topicBase: string;
  agency: string;
}

export interface PushOptions extends BrokerOptions {
  list: string;
  file: string;
  privateKeyPem: string | Buffer;
  keyId: string;
  skipBad?: boolean;
  /** Defaults to now in ms: versions then order by issue time. */
  version?: number;
  now?: number;
  onProgress?: (phase: 'validate' | 'publish', done: number, total: number) => void;
}

/** Validates and compresses a CSV; throws AlprError(HOTLIST_CSV) listing bad rows unless skipBad. */
export async function buildSnapshotBody(
  file: string,
  list: string,
  now: number,
  skipBad = false,
): Promise<{ body: Buffer; entries: number; errors: CsvError[] }> {
  const errors: CsvError[] = [];
  const gz = createGzip({ level: 6 });
  const parts: Buffer[] = [];
  gz.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise<void>((res, rej) => {
    gz.on('end', () => res());
    gz.on('error', rej);
  });
  gz.write(`${CSV_COLUMNS.join(',')}\n`);
  let entries = 0;
  for await (const e of csvEntries(fileLines(file), { list, now, source: null }, (er) => errors.push(er))) {
    if (!gz.write(`${entryToCsv(e)}\n`)) await new Promise<void>((r) => gz.once('drain', () => r()));
    entries++;
  }
  gz.end();
  await done;
  if (errors.length > 0 && !skipBad) {
    throw new AlprError(
      ErrorCodes.HOTLIST_CSV,
      `${errors.length} bad row(s): push refused (--skip-bad to drop them)`,
      {
        details: errors.slice(0, 200).map((e) => `line ${e.line}: ${e.message}`),
      },
    );
  }
  return { body: Buffer.concat(parts), entries, errors };
}

async function connect(b: BrokerOptions, role: string): Promise<MqttClient> {
  const client = mqtt.connect(b.url, { clientId: `alpr-admin-${role}-${uuidv7().slice(-12)}`, ...b.options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => {
      client.end(true);
      reject(new AlprError(ErrorCodes.SYNC, `cannot reach the broker at ${b.url}: ${err.message}`));
    });
  });
  return client;
}

/** Collects retained messages on `filter` for `waitMs`. */
async function retained(client: MqttClient, filter: string, waitMs: number): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  const on = (topic: string, payload: Buffer) => {
    if (payload.length > 0) got.set(topic, Buffer.from(payload));
  };
  client.on('message', on);
  await client.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, waitMs));
  await client.unsubscribeAsync(filter);
  client.off('message', on);
  return got;
}

/** Validates, signs and publishes one list version. Returns the manifest and any skipped rows. */
export async function pushHotlist(o: PushOptions): Promise<{ manifest: Manifest; errors: CsvError[] }> {
  const now = o.now ?? Date.now();
  o.onProgress?.('validate', 0, 1);
  const { body, entries, errors } = await buildSnapshotBody(o.file, o.list, now, o.skipBad);
  o.onProgress?.('validate', 1, 1);
  const client = await connect(o, 'push');
  try {
    const prevRaw = [
      ...(await retained(client, topics.manifest(o.topicBase, o.agency, o.list), 500)).values(),
    ][0];
    const prev = prevRaw ? (JSON.parse(prevRaw.toString('utf8')) as Manifest) : null;
    const version = o.version ?? Math.max(now, (prev?.listVersion ?? 0) + 1);
    if (prev && prev.listVersion >= version) {
      throw new AlprError(
        ErrorCodes.HOTLIST_VERSION,
        `list ${o.list}: version ${version} is not newer than the published ${prev.listVersion}`,
      );
    }
    const chunks = cutChunks(body, CHUNK_SIZE);
    const manifest = signManifest(
      {
        type: 'hotlist-manifest',
        version: SNAPSHOT_FORMAT,
        id: uuidv7(now),
        agency: o.agency,
        list: o.list,
        listVersion: version,
        issuedAt: now,
        entries,
        bytes: body.length,
        sha256: sha256(body),
        chunkSize: CHUNK_SIZE,
        chunks: chunks.map(sha256),
        keyId: o.keyId,
      },
      o.privateKeyPem,
    );
    for (let i = 0; i < chunks.length; i++) {
      await client.publishAsync(topics.chunk(o.topicBase, o.agency, o.list, version, i), chunks[i]!, {
        qos: 1,
        retain: true,
      });
      o.onProgress?.('publish', i + 1, chunks.length + 1);
    }
    await client.publishAsync(topics.manifest(o.topicBase, o.agency, o.list), JSON.stringify(manifest), {
      qos: 1,
      retain: true,
    });
    o.onProgress?.('publish', chunks.length + 1, chunks.length + 1);
    if (prev && Array.isArray(prev.chunks)) {
      for (let i = 0; i < prev.chunks.length; i++) {
        await client.publishAsync(topics.chunk(o.topicBase, o.agency, o.list, prev.listVersion, i), '', {
          qos: 1,
          retain: true,
        });
      }
    }
    return { manifest, errors };
  } finally {
    await client.endAsync();
  }
}

/** Every unit's latest acknowledgement, from the retained ack topics. */
export async function hotlistStatus(b: BrokerOptions, waitMs = 1000): Promise<Ack[]> {
  const client = await connect(b, 'status');
  try {
    const got = await retained(client, topics.ackAll(b.topicBase, b.agency), waitMs);
    const out: Ack[] = [];
    for (const payload of got.values()) {
      try {
        const a = JSON.parse(payload.toString('utf8')) as Ack;
        if (a.type === 'hotlist-ack') out.push(a);
      } catch {
        // a foreign or broken message on our topic: not an ack
      }
    }
    return out.sort((x, y) => x.unit.localeCompare(y.unit) || x.list.localeCompare(y.list));
  } finally {
    await client.endAsync();
  }
}

/** A new admin key pair: the private key as PKCS#8 PEM, the public key as config wants it. */
export function generateAdminKey(): { privateKeyPem: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { privateKeyPem: pem, publicKey: publicKeyBase64(pem) };
}
