/**
 * Admin side of hot-list sync: validate a CSV, build a gzip snapshot, sign it with the admin's
 * Ed25519 key, publish chunks then the retained manifest, and clear the previous version's chunks.
 * With `delta`, publish only the changes against the previous pushed version (kept in the admin's
 * state directory) on the list's delta topic; the last full snapshot stays retained beside it.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { adminKeyMap } from '../domain/signed.ts';
import { publishRetainedConfirmed } from '../core/retained-confirm.ts';
import { uuidv7 } from '../domain/ids.ts';
import { CSV_COLUMNS, type CsvError, csvEntries, entryToCsv, fileLines } from './csv.ts';
import { bodyLines, deltaBody, diffLines } from './delta.ts';
import {
  type Ack,
  CHUNK_SIZE,
  cutChunks,
  DELTA_FORMAT,
  type Manifest,
  manifestProblem,
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
  /**
   * Publish a list with no entries (every unit's list is emptied). Without it a file with no good
   * row is refused before anything is sent: a header-only export, or one whose every row is bad,
   * would otherwise wipe the list on every unit while each reports it current.
   */
  allowEmpty?: boolean;
  /** Defaults to now in ms: versions then order by issue time. */
  version?: number;
  /** Publish only the changes against the previous pushed version (needs `stateDir`). */
  delta?: boolean;
  /** Where the last pushed version of each list is kept (for deltas); saved after every push. */
  stateDir?: string;
  /**
   * Other admins' keys (as units pin them) whose retained manifests count: the broker's retained
   * version is trusted only under a good signature by one of these or by the pushing key itself.
   */
  trustedKeys?: readonly { id: string; publicKey: string }[];
  now?: number;
  /** How long to keep publishing again what does not read back from the broker; 60 s without. */
  confirmTimeoutMs?: number;
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

interface PushState {
  agency: string;
  list: string;
  listVersion: number;
  entries: number;
}

const statePaths = (dir: string, agency: string, list: string) => ({
  meta: join(dir, `${agency}.${list}.json`),
  body: join(dir, `${agency}.${list}.csv.gz`),
});

function readState(dir: string, agency: string, list: string): { state: PushState; body: Buffer } | null {
  const p = statePaths(dir, agency, list);
  try {
    return { state: JSON.parse(readFileSync(p.meta, 'utf8')) as PushState, body: readFileSync(p.body) };
  } catch {
    return null;
  }
}

/** The body first, then the version file: a crash in between leaves a state that says "stale". */
function writeState(dir: string, state: PushState, body: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = statePaths(dir, state.agency, state.list);
  writeFileSync(`${p.body}.tmp`, body, { mode: 0o600 });
  renameSync(`${p.body}.tmp`, p.body);
  writeFileSync(`${p.meta}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${p.meta}.tmp`, p.meta);
}

/** Other trusted admins' keys by id, and the pushing key (trusted under whatever id it signed with). */
function trustOf(o: PushOptions): { keys: Map<string, KeyObject>; own: KeyObject } {
  const own = adminKeyMap([{ id: o.keyId, publicKey: publicKeyBase64(o.privateKeyPem) }]).get(o.keyId)!;
  return { keys: adminKeyMap(o.trustedKeys ?? []), own };
}

/**
 * A retained manifest only when a trusted admin key signed it: anyone able to leave a message on
 * the topic (a broker ACL mistake, a stolen unit) must not set the version the next push has to
 * beat (a forged version 2^53 would stop every later push).
 */
function verifiedManifest(
  raw: Buffer | undefined,
  expect: { agency: string; list: string; delta: boolean },
  trust: { keys: Map<string, KeyObject>; own: KeyObject },
): Manifest | null {
  const m = parseManifest(raw);
  if (!m) return null;
  // Our own key may have signed under another id label than today's --key-id.
  const keys = new Map(trust.keys);
  if (typeof m.keyId === 'string' && !keys.has(m.keyId)) keys.set(m.keyId, trust.own);
  return manifestProblem(m, expect, keys) === null ? m : null;
}

const parseManifest = (raw: Buffer | undefined): Manifest | null => {
  if (!raw) return null;
  try {
    return JSON.parse(raw.toString('utf8')) as Manifest;
  } catch {
    return null;
  }
};

/** The delta body from the last pushed version's canonical body to the new one. */
async function buildDelta(
  prev: Buffer,
  next: Buffer,
): Promise<{ body: Buffer; removes: number; adds: number }> {
  const d = await diffLines(bodyLines(prev), bodyLines(next));
  return { body: deltaBody(d), removes: d.removes.length, adds: d.adds.length };
}

async function clearChunks(client: MqttClient, o: BrokerOptions, m: Manifest | null): Promise<void> {
  if (!m || !Array.isArray(m.chunks)) return;
  for (let i = 0; i < m.chunks.length; i++) {
    await client.publishAsync(topics.chunk(o.topicBase, o.agency, m.list, m.listVersion, i), '', {
      qos: 1,
      retain: true,
    });
  }
}

/**
 * Validates, signs and publishes one list version (a full snapshot, or with `delta` the changes
 * against the previous pushed version). Returns the manifest, any skipped rows, and for a delta
 * the counts of removed and added entries.
 */
export async function pushHotlist(
  o: PushOptions,
): Promise<{ manifest: Manifest; errors: CsvError[]; delta?: { removes: number; adds: number } }> {
  const now = o.now ?? Date.now();
  if (o.delta && !o.stateDir) {
    throw new AlprError(ErrorCodes.INPUT, 'a delta needs the state directory of the previous push');
  }
  o.onProgress?.('validate', 0, 1);
  const { body, entries, errors } = await buildSnapshotBody(o.file, o.list, now, o.skipBad);
  o.onProgress?.('validate', 1, 1);
  if (entries === 0 && !o.allowEmpty)
    throw new AlprError(
      ErrorCodes.HOTLIST_CSV,
      `${o.file} holds no ${errors.length ? 'good ' : ''}rows${errors.length ? ` (${errors.length} bad)` : ''}: nothing was sent, and ${o.list} stays as the units hold it (--allow-empty to empty it on purpose)`,
    );
  const client = await connect(o, 'push');
  try {
    const got = await retained(client, topics.list(o.topicBase, o.agency, o.list), 500);
    const trust = trustOf(o);
    const expect = { agency: o.agency, list: o.list };
    const prev = verifiedManifest(
      got.get(topics.manifest(o.topicBase, o.agency, o.list)),
      { ...expect, delta: false },
      trust,
    );
    const prevDelta = verifiedManifest(
      got.get(topics.delta(o.topicBase, o.agency, o.list)),
      { ...expect, delta: true },
      trust,
    );
    const latest = Math.max(prev?.listVersion ?? 0, prevDelta?.listVersion ?? 0);
    const version = o.version ?? Math.max(now, latest + 1);
    if (latest >= version) {
      throw new AlprError(
        ErrorCodes.HOTLIST_VERSION,
        `list ${o.list}: version ${version} is not newer than the published ${latest}`,
      );
    }
    let published = body;
    let delta: { removes: number; adds: number } | undefined;
    if (o.delta) {
      const st = readState(o.stateDir!, o.agency, o.list);
      if (!prev || !st || st.state.listVersion !== latest) {
        throw new AlprError(
          ErrorCodes.HOTLIST_VERSION,
          `list ${o.list}: no delta possible (the saved state is for version ${st?.state.listVersion ?? 'none'}, ` +
            `the broker's latest is ${latest || 'none'}): push a full snapshot (without --delta)`,
        );
      }
      const d = await buildDelta(st.body, body);
      published = d.body;
      delta = { removes: d.removes, adds: d.adds };
    }
    const chunks = cutChunks(published, CHUNK_SIZE);
    const fields = {
      type: 'hotlist-manifest' as const,
      version: (o.delta ? DELTA_FORMAT : SNAPSHOT_FORMAT) as Manifest['version'],
      id: uuidv7(now),
      agency: o.agency,
      list: o.list,
      listVersion: version,
      issuedAt: now,
      entries,
      bytes: published.length,
      sha256: sha256(published),
      chunkSize: CHUNK_SIZE,
      chunks: chunks.map(sha256),
      keyId: o.keyId,
      ...(delta ? { kind: 'delta' as const, baseVersion: latest, changes: delta.removes + delta.adds } : {}),
    };
    const manifest = signManifest(fields, o.privateKeyPem);
    const topic = (delta ? topics.delta : topics.manifest)(o.topicBase, o.agency, o.list);
    // Chunks first, then the manifest; read back and published again until the broker has them
    // all (a cluster acknowledges a retained message it failed to store: core/retained-confirm.ts).
    await publishRetainedConfirmed(
      client,
      [
        ...chunks.map((c, i) => ({
          topic: topics.chunk(o.topicBase, o.agency, o.list, version, i),
          payload: c,
        })),
        { topic, payload: Buffer.from(JSON.stringify(manifest)) },
      ],
      {
        filters: [topics.chunkAll(o.topicBase, o.agency, o.list, version), topic],
        timeoutMs: o.confirmTimeoutMs,
        onPublished: (done, total) => o.onProgress?.('publish', done, total),
      },
    );
    // A delta replaces the previous delta (units apply deltas in order; one that missed a delta
    // waits for the next full); a full replaces the previous full and every delta.
    await clearChunks(client, o, prevDelta);
    if (!delta) {
      await clearChunks(client, o, prev);
      // A forged delta left there is cleared too: units refuse it, but it must not outlive a full.
      if (got.has(topics.delta(o.topicBase, o.agency, o.list))) {
        await client.publishAsync(topics.delta(o.topicBase, o.agency, o.list), '', { qos: 1, retain: true });
      }
    }
    if (o.stateDir)
      writeState(o.stateDir, { agency: o.agency, list: o.list, listVersion: version, entries }, body);
    return { manifest, errors, delta };
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

/** The latest published version of each list (full or delta) and when it was issued. */
export async function publishedVersions(
  b: BrokerOptions,
  waitMs = 1000,
  /** When given, only manifests signed by one of these keys count (a forged one shows nothing). */
  trustedKeys?: readonly { id: string; publicKey: string }[],
): Promise<Map<string, { listVersion: number; issuedAt: number }>> {
  const keys = trustedKeys ? adminKeyMap(trustedKeys) : null;
  const client = await connect(b, 'status');
  try {
    const got = await retained(client, topics.all(b.topicBase, b.agency), waitMs);
    const out = new Map<string, { listVersion: number; issuedAt: number }>();
    for (const payload of got.values()) {
      const m = parseManifest(payload);
      if (m?.type !== 'hotlist-manifest' || typeof m.list !== 'string') continue;
      const expect = { agency: b.agency, list: m.list, delta: m.version === DELTA_FORMAT };
      if (keys && manifestProblem(m, expect, keys) !== null) continue;
      const prev = out.get(m.list);
      if (!prev || m.listVersion > prev.listVersion)
        out.set(m.list, { listVersion: m.listVersion, issuedAt: m.issuedAt });
    }
    return out;
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
