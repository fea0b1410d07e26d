import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AlprError, ErrorCodes } from './errors.ts';
import { normalizePlate } from './plate.ts';

/**
 * Field encryption (AES-256-GCM) for the unit's SQLite files: the reads store (context `store`)
 * and the officer page's database (context `web`: audit rows, notes). One implementation; each
 * context derives its own sub-keys from the one key file (store.keyFile), so a ciphertext of one
 * file never opens in the other.
 *
 * Why field encryption with AES-256-GCM (node:crypto) rather than a whole-file cipher
 * (SQLCipher / better-sqlite3-multiple-ciphers):
 * - it needs no native SQLite fork: we stay on stock better-sqlite3, which the project already
 *   ships and which is built and tested for every Node ABI we target;
 * - every personal field (plate, candidates, position, box, images) is sealed before it reaches
 *   SQLite, so the main file, the WAL, the journal and freed pages only ever hold ciphertext;
 * - each field is bound to its row (AAD = table, id, column): a ciphertext copied onto another
 *   row fails authentication instead of silently moving a plate to another time or place;
 * - metadata the unit must read without decrypting (capture time, sync state, holds, camera id)
 *   stays in clear columns, so retention and the outbox work with cheap indexed queries.
 * What leaks to a thief: how many reads, when, from which camera, and the HMAC of each plate
 * (equal plates have equal HMACs, but without the key the HMAC reveals nothing about the plate).
 *
 * Key: 32 bytes from a credentials file (raw, hex or base64). Two sub-keys are derived with
 * HKDF-SHA256: one for AES-GCM, one for HMAC-SHA256 of the normalized plate (lookups).
 * Sealed format: 0x01 | 12-byte random IV | 16-byte tag | ciphertext. 0x00 | bytes = plaintext
 * (only written with `store.encryption: none`, the demo).
 */
export interface Sealer {
  readonly encrypted: boolean;
  seal(data: Buffer, aad: string): Buffer;
  open(blob: Buffer, aad: string): Buffer;
  /** Keyed hash of the normalized plate, for lookups without decrypting. */
  plateTag(plate: string): Buffer;
  /**
   * A keyed, deterministic 12-byte tag of a short text, for equality look-ups at bulk speed (the
   * hot list's index columns): one AES block under its own sub-key (a pseudorandom permutation of
   * the length-prefixed text), so equal texts have equal tags and nothing else shows. Texts over
   * 15 bytes take an HMAC instead. Clear (the text itself) in the demo's plain format.
   */
  lookupTag(text: string): Buffer;
}

const V_PLAIN = 0x00;
const V_GCM = 0x01;
const IV_LEN = 12;
const TAG_LEN = 16;

/** Parses a key file: 32 raw bytes, or 64 hex characters, or base64 of 32 bytes (whitespace ignored). */
export function parseKey(file: Buffer): Buffer {
  if (file.length === 32) return Buffer.from(file);
  const text = file.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === 32) return b;
  }
  throw new AlprError(
    ErrorCodes.STORE,
    'store key must be 32 bytes (raw), 64 hex characters or base64 of 32 bytes',
  );
}

/** What a sealer is for: its sub-keys and error messages ("store field for …"). */
export type SealContext = 'store' | 'web' | 'hotlist';

/** Random IVs drawn from a pooled CSPRNG buffer: one getrandom call per 4096 seals. */
function ivSource(): () => Buffer {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + IV_LEN > pool.length) {
      pool = randomBytes(IV_LEN * 4096);
      at = 0;
    }
    const iv = pool.subarray(at, at + IV_LEN);
    at += IV_LEN;
    return iv;
  };
}

export function aesSealer(key: Buffer, context: SealContext = 'store'): Sealer {
  if (key.length !== 32) throw new AlprError(ErrorCodes.STORE, 'store key must be 32 bytes');
  const salt = `alpr-${context}`;
  const encKey = Buffer.from(hkdfSync('sha256', key, salt, 'aes-256-gcm', 32));
  const macKey = Buffer.from(hkdfSync('sha256', key, salt, 'plate-hmac', 32));
  const tagKey = Buffer.from(hkdfSync('sha256', key, salt, 'lookup-tag', 32));
  // One ECB cipher for every tag: each update() of one block returns that block's encryption.
  const block = createCipheriv('aes-256-ecb', tagKey, null).setAutoPadding(false);
  const one = Buffer.alloc(16);
  const nextIv = ivSource();
  return {
    encrypted: true,
    lookupTag(text) {
      const n = Buffer.byteLength(text, 'utf8');
      if (n > 15) return createHmac('sha256', tagKey).update(text).digest().subarray(0, 12);
      one.fill(0);
      one[0] = n;
      one.write(text, 1, 'utf8');
      return block.update(one).subarray(0, 12);
    },
    seal(data, aad) {
      const iv = nextIv();
      const c = createCipheriv('aes-256-gcm', encKey, iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([c.update(data), c.final()]);
      return Buffer.concat([Buffer.of(V_GCM), iv, c.getAuthTag(), body]);
    },
    open(blob, aad) {
      if (blob[0] !== V_GCM) {
        throw new AlprError(
          ErrorCodes.STORE,
          `${context} field for ${aad} is not encrypted (written without a key?)`,
        );
      }
      try {
        const iv = blob.subarray(1, 1 + IV_LEN);
        const tag = blob.subarray(1 + IV_LEN, 1 + IV_LEN + TAG_LEN);
        const d = createDecipheriv('aes-256-gcm', encKey, iv);
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(tag);
        return Buffer.concat([d.update(blob.subarray(1 + IV_LEN + TAG_LEN)), d.final()]);
      } catch (err) {
        throw new AlprError(
          ErrorCodes.STORE,
          `${context} field for ${aad} fails authentication (wrong key?)`,
          {
            cause: err,
          },
        );
      }
    },
    plateTag(plate) {
      return createHmac('sha256', macKey).update(normalizePlate(plate)).digest().subarray(0, 16);
    },
  };
}

/** Demo only: stores fields in clear. The store warns loudly when it is used. */
export function plainSealer(context: SealContext = 'store'): Sealer {
  return {
    encrypted: false,
    seal: (data) => Buffer.concat([Buffer.of(V_PLAIN), data]),
    open(blob, aad) {
      if (blob[0] !== V_PLAIN) {
        throw new AlprError(
          ErrorCodes.STORE,
          `${context} field for ${aad} is encrypted but no key is configured`,
        );
      }
      return blob.subarray(1);
    },
    plateTag: (plate) => Buffer.from(normalizePlate(plate), 'utf8'),
    lookupTag: (text) => Buffer.from(text, 'utf8'),
  };
}

/**
 * The sealer a unit uses for `context`: AES-256-GCM from the key file (read by `readKey`), or the
 * clear demo format with `store.encryption: none`. The root and the CLI call this with the store
 * key, so the store and the officer page share one key file and one implementation.
 */
export function fieldSealer(
  encryption: 'aes-256-gcm' | 'none',
  readKey: () => Buffer,
  context: SealContext,
): Sealer {
  return encryption === 'none' ? plainSealer(context) : aesSealer(parseKey(readKey()), context);
}
