/**
 * Ed25519 signatures by admin keys that units pin in their config (hotlist.adminKeys): the small
 * pure pieces shared by every stage that takes signed messages from admins (hot lists, roster).
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** A pinned admin key from config: base64 of the raw 32-byte Ed25519 public key. */
export function publicKeyFromBase64(raw: string): KeyObject {
  const b = Buffer.from(raw, 'base64');
  if (b.length !== 32) throw new Error('an Ed25519 public key is 32 bytes (base64)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b.toString('base64url') }, format: 'jwk' });
}

/** Base64 of the raw 32-byte public key of an Ed25519 private or public key (PEM). */
export function publicKeyBase64(pem: string | Buffer): string {
  const jwk = createPublicKey(pem).export({ format: 'jwk' }) as { x: string };
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** The pinned keys by id. */
export function adminKeyMap(keys: readonly { id: string; publicKey: string }[]): Map<string, KeyObject> {
  return new Map(keys.map((k) => [k.id, publicKeyFromBase64(k.publicKey)]));
}

/** Base64 Ed25519 signature of `bytes` by a private key (PEM). */
export function signBytes(bytes: Buffer, privateKeyPem: string | Buffer): string {
  return sign(null, bytes, createPrivateKey(privateKeyPem)).toString('base64');
}

/** True when `sig` (base64) is a good Ed25519 signature of `bytes` by `key`; never throws. */
export function verifyBytes(bytes: Buffer, sig: string, key: KeyObject): boolean {
  try {
    return verify(null, bytes, key, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Where admins publish (hot lists, rosters): `<base>-admin/<agency>`, a different first level from
 * the units' `<base>/<agency>/<unit>`, so no unit certificate's CN can name an admin topic through
 * the broker's `%u` ACL lines, and the ACL grants write here to admin certificates only.
 */
export function adminRoot(base: string, agency: string): string {
  return `${base}-admin/${agency}`;
}
