/**
 * Signed hot-list snapshots (admin → unit) and the MQTT topics that carry them.
 *
 * A snapshot is the list as CSV (every column, CSV_COLUMNS order), gzip-compressed and cut into
 * chunks. The manifest names the list, its version, the SHA-256 of the whole body and of each
 * chunk, and carries an Ed25519 signature by an admin key that units pin in their config.
 *
 * A delta (format 2, `kind: 'delta'`) carries only the changes from `baseVersion` to
 * `listVersion` (see delta.ts); `entries` is still the size of the resulting version. Fulls are
 * retained on `…/<LIST>/manifest`, deltas on `…/<LIST>/delta`, so a unit that missed a delta
 * can take the full and then the delta on top of it.
 */
import { createHash, createPrivateKey, type KeyObject, sign, verify } from 'node:crypto';
import { adminRoot } from '../domain/signed.ts';

export const SNAPSHOT_FORMAT = 1;
export const DELTA_FORMAT = 2;
export const CHUNK_SIZE = 256 * 1024;
/** Units refuse bigger snapshots: 5M entries compress to well under this. */
export const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
/** A manifest names ~2,000 chunk hashes at most (140 KB): a bigger message is refused unparsed. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Chunks are CHUNK_SIZE; a manifest may not ask for chunks above this (each is held in memory). */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** The largest MQTT packet the hot-list link takes (MQTT 5 Maximum Packet Size): payload + topic. */
export const MAX_HOTLIST_PACKET_BYTES = Math.max(MAX_MANIFEST_BYTES, MAX_CHUNK_BYTES) + 4096;

export interface Manifest {
  type: 'hotlist-manifest';
  version: typeof SNAPSHOT_FORMAT | typeof DELTA_FORMAT;
  /** Idempotent message id (UUIDv7). */
  id: string;
  agency: string;
  list: string;
  listVersion: number;
  issuedAt: number;
  entries: number;
  bytes: number;
  sha256: string;
  chunkSize: number;
  chunks: string[];
  keyId: string;
  /** Deltas only (format 2): the version the changes apply to, and how many lines they hold. */
  kind?: 'delta';
  baseVersion?: number;
  changes?: number;
  /** base64 Ed25519 signature over signedBytes(manifest). */
  sig: string;
}

export const isDelta = (m: Pick<Manifest, 'version'>) => m.version === DELTA_FORMAT;

export interface Ack {
  type: 'hotlist-ack';
  version: 1;
  id: string;
  unit: string;
  list: string;
  /** The version now live on the unit (0 = none). */
  current: number;
  last: { listVersion: number; status: 'applied' | 'rejected'; reason: string | null; at: number };
}

/**
 * Admin topics live under `<base>-admin/<agency>/`, outside every unit's `<base>/<agency>/<unit>/`
 * namespace, so no unit certificate (whatever its CN) matches a unit ACL line there; only acks are
 * the unit's own.
 */
export const topics = {
  root: (base: string, agency: string) => `${adminRoot(base, agency)}/hotlist`,
  manifest: (base: string, agency: string, list: string) =>
    `${adminRoot(base, agency)}/hotlist/${list}/manifest`,
  manifestAll: (base: string, agency: string) => `${adminRoot(base, agency)}/hotlist/+/manifest`,
  delta: (base: string, agency: string, list: string) => `${adminRoot(base, agency)}/hotlist/${list}/delta`,
  deltaAll: (base: string, agency: string) => `${adminRoot(base, agency)}/hotlist/+/delta`,
  chunk: (base: string, agency: string, list: string, v: number, i: number) =>
    `${adminRoot(base, agency)}/hotlist/${list}/chunk/${v}/${i}`,
  chunkAll: (base: string, agency: string, list: string, v: number) =>
    `${adminRoot(base, agency)}/hotlist/${list}/chunk/${v}/+`,
  list: (base: string, agency: string, list: string) => `${adminRoot(base, agency)}/hotlist/${list}/+`,
  all: (base: string, agency: string) => `${adminRoot(base, agency)}/hotlist/+/+`,
  ack: (base: string, agency: string, unit: string, list: string) =>
    `${base}/${agency}/${unit}/hotlist/${list}/ack`,
  ackAll: (base: string, agency: string) => `${base}/${agency}/+/hotlist/+/ack`,
};

/** The exact bytes the signature covers: every manifest field but `sig`, in a fixed order. */
export function signedBytes(m: Omit<Manifest, 'sig'>): Buffer {
  const delta = isDelta(m) ? [m.kind, m.baseVersion, m.changes] : [];
  return Buffer.from(
    JSON.stringify([
      m.type,
      m.version,
      m.id,
      m.agency,
      m.list,
      m.listVersion,
      m.issuedAt,
      m.entries,
      m.bytes,
      m.sha256,
      m.chunkSize,
      m.chunks,
      m.keyId,
      ...delta,
    ]),
  );
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function cutChunks(body: Buffer, size = CHUNK_SIZE): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
  return out;
}

export function signManifest(m: Omit<Manifest, 'sig'>, privateKeyPem: string | Buffer): Manifest {
  const key = createPrivateKey(privateKeyPem);
  return { ...m, sig: sign(null, signedBytes(m), key).toString('base64') };
}

// The Ed25519 key helpers are shared with the roster (src/domain/signed.ts).
export { publicKeyBase64, publicKeyFromBase64 } from '../domain/signed.ts';

/**
 * Why a manifest must be refused, or null when its shape and signature are good.
 * Version order is the caller's check (it knows the live version).
 */
export function manifestProblem(
  raw: unknown,
  expect: { agency: string; list: string; delta?: boolean },
  keys: ReadonlyMap<string, KeyObject>,
): string | null {
  if (typeof raw !== 'object' || raw === null) return 'manifest is not a JSON object';
  const m = raw as Partial<Manifest>;
  if (m.type !== 'hotlist-manifest' || (m.version !== SNAPSHOT_FORMAT && m.version !== DELTA_FORMAT))
    return 'unknown manifest type or format';
  if ((m.version === DELTA_FORMAT) !== (expect.delta === true))
    return expect.delta ? 'a full snapshot on the delta topic' : 'a delta on the full-snapshot topic';
  if (m.version === DELTA_FORMAT) {
    const base = m.baseVersion as number;
    if (m.kind !== 'delta' || !Number.isSafeInteger(base) || base < 1 || base >= (m.listVersion as number))
      return 'delta has a bad base version';
    if (!Number.isSafeInteger(m.changes) || (m.changes as number) < 0) return 'delta has a bad change count';
  }
  if (typeof m.agency !== 'string' || m.agency === '') return 'manifest names no agency';
  if (m.agency !== expect.agency) return 'manifest is for another agency';
  if (m.list !== expect.list) return 'manifest is for another list than its topic names';
  const ints = [m.listVersion, m.issuedAt, m.entries, m.bytes, m.chunkSize];
  if (!ints.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) return 'manifest has bad numbers';
  if (!Array.isArray(m.chunks) || !m.chunks.every((c) => typeof c === 'string' && /^[0-9a-f]{64}$/.test(c))) {
    return 'manifest has bad chunk hashes';
  }
  if (typeof m.sha256 !== 'string' || typeof m.id !== 'string') return 'manifest has bad fields';
  if ((m.bytes as number) > MAX_SNAPSHOT_BYTES) return 'snapshot too large';
  if ((m.chunkSize as number) < 1 || (m.chunkSize as number) > MAX_CHUNK_BYTES)
    return 'chunk size out of range';
  if (m.chunks.length !== Math.ceil((m.bytes as number) / Math.max(1, m.chunkSize as number))) {
    return 'chunk count does not match the size';
  }
  if (typeof m.sig !== 'string' || m.sig === '') return 'unsigned manifest';
  if (typeof m.keyId !== 'string') return 'manifest names no key';
  const key = keys.get(m.keyId);
  if (!key) return `manifest signed by unknown key "${m.keyId}"`;
  const { sig, ...rest } = m as Manifest;
  let good = false;
  try {
    good = verify(null, signedBytes(rest), key, Buffer.from(sig, 'base64'));
  } catch {
    good = false;
  }
  return good ? null : 'bad signature';
}

/** Why the assembled chunks do not match the manifest, or null when they do. */
export function bodyProblem(m: Manifest, chunks: readonly (Buffer | undefined)[]): string | null {
  const have = chunks.filter((c) => c !== undefined).length;
  if (have !== m.chunks.length) return `truncated: ${have} of ${m.chunks.length} chunks`;
  for (let i = 0; i < m.chunks.length; i++) {
    if (sha256(chunks[i]!) !== m.chunks[i]) return `chunk ${i} is corrupted`;
  }
  const total = chunks.reduce((s, c) => s + c!.length, 0);
  if (total !== m.bytes) return `size ${total} differs from the manifest's ${m.bytes}`;
  if (sha256(Buffer.concat(chunks as Buffer[])) !== m.sha256)
    return 'snapshot hash differs from the manifest';
  return null;
}
