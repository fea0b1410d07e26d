/** A signed hot-list snapshot made by hand (manifest and chunks), for tests that feed a subscriber directly. */
import { gzipSync } from 'node:zlib';
import { cutChunks, type Manifest, sha256, signManifest } from '../../src/hotlist/snapshot.ts';

export const SNAPSHOT_CSV_HEADER = 'plate,state,priority,case_number,reason';

/** A manifest for `list` at `version` over a gzipped CSV of `rows`, signed with `privateKeyPem`, and its chunks. */
export function signedSnapshot(
  privateKeyPem: string,
  list: string,
  version: number,
  rows: string[],
  chunkSize = 64,
): { manifest: Manifest; chunks: Buffer[] } {
  const body = gzipSync(`${SNAPSHOT_CSV_HEADER}\n${rows.join('\n')}\n`);
  const chunks = cutChunks(body, chunkSize);
  const fields: Omit<Manifest, 'sig'> = {
    type: 'hotlist-manifest',
    version: 1,
    id: `m-${version}`,
    agency: 'metro',
    list,
    listVersion: version,
    issuedAt: 1_700_000_000_000,
    entries: rows.length,
    bytes: body.length,
    sha256: sha256(body),
    chunkSize,
    chunks: chunks.map(sha256),
    keyId: 'k1',
  };
  return { manifest: signManifest(fields, privateKeyPem), chunks };
}
