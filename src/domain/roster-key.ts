/**
 * The roster key of one unit's roster copy, sealed to that unit's certificate (its TLS key, which
 * `alpr provision --tpm` seals to the unit's TPM). The admin tool draws a fresh 32-byte key per
 * copy, makes each officer's keyed PIN verifier with it (web/pin.ts) and sends the key wrapped:
 * - EC certificates (what `alpr provision` makes, P-256): ECDH with a fresh key on the same
 *   curve, HKDF-SHA256 over the shared secret, AES-256-GCM of the roster key;
 * - RSA certificates: RSA-OAEP with SHA-256.
 * The wrap is bound to its copy (agency, unit, copy id) as AAD / OAEP label. A copy taken from the
 * broker, or from a unit without its TLS key, gives a key nobody can open, so its verifiers cannot
 * be searched offline.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  constants,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { AlprError, ErrorCodes } from './errors.ts';

export type PinKeyAlg = 'ECDH-ES+A256GCM' | 'RSA-OAEP-256';

/** The wrapped roster key as it travels in a roster copy (base64 fields). */
export interface PinKeyWrap {
  alg: PinKeyAlg;
  /** ECDH: the sender's one-time public key (SPKI DER). */
  epk?: string;
  /** ECDH: AES-GCM IV. */
  iv?: string;
  /** The wrapped key (AES-GCM: ciphertext then 16-byte tag). */
  ct: string;
}

const KEY_BYTES = 32;
const INFO = 'alpr-roster-pin-key-v2';

/** What the wrap is bound to. */
export const wrapContext = (agency: string, unit: string, copyId: string) => `${agency}\n${unit}\n${copyId}`;

function kek(shared: Buffer, epk: Buffer, aad: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, epk, `${INFO}\n${aad}`, 32));
}

function refuse(message: string, cause?: unknown): AlprError {
  return new AlprError(ErrorCodes.ROSTER_KEY, message, cause === undefined ? undefined : { cause });
}

/** The unit's public key from its certificate (PEM; a bare public key PEM works too). */
export function recipientKey(certOrKey: string | Buffer): KeyObject {
  try {
    return createPublicKey(certOrKey);
  } catch (err) {
    throw refuse('not a certificate or public key (PEM)', err);
  }
}

/** Wraps `rosterKey` to `recipient` (the unit's certificate key), bound to `aad`. */
export function wrapRosterKey(rosterKey: Buffer, recipient: KeyObject, aad: string): PinKeyWrap {
  if (recipient.asymmetricKeyType === 'rsa') {
    const ct = publicEncrypt(
      {
        key: recipient,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: Buffer.from(aad),
      },
      rosterKey,
    );
    return { alg: 'RSA-OAEP-256', ct: ct.toString('base64') };
  }
  if (recipient.asymmetricKeyType !== 'ec')
    throw refuse(`a ${recipient.asymmetricKeyType} certificate key cannot receive a roster key (EC or RSA)`);
  const namedCurve = recipient.asymmetricKeyDetails?.namedCurve;
  if (!namedCurve) throw refuse('the certificate key names no curve');
  const eph = generateKeyPairSync('ec', { namedCurve });
  const epk = eph.publicKey.export({ type: 'spki', format: 'der' });
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek(shared, epk, aad), iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(rosterKey), c.final(), c.getAuthTag()]);
  return {
    alg: 'ECDH-ES+A256GCM',
    epk: epk.toString('base64'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
  };
}

/** Opens a wrapped roster key with the unit's private key (PEM); ALPR_E_ROSTER_KEY when it does not open. */
export function unwrapRosterKey(wrap: unknown, unitKeyPem: string | Buffer, aad: string): Buffer {
  const w = wrap as Partial<PinKeyWrap> | null;
  if (typeof w !== 'object' || w === null || typeof w.ct !== 'string')
    throw refuse('the roster copy has no PIN key');
  let own: KeyObject;
  try {
    own = createPrivateKey(unitKeyPem);
  } catch (err) {
    throw refuse("this unit's TLS key is not a private key (PEM)", err);
  }
  try {
    let key: Buffer;
    if (w.alg === 'RSA-OAEP-256') {
      key = privateDecrypt(
        {
          key: own,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
          oaepLabel: Buffer.from(aad),
        },
        Buffer.from(w.ct, 'base64'),
      );
    } else if (w.alg === 'ECDH-ES+A256GCM' && typeof w.epk === 'string' && typeof w.iv === 'string') {
      const epk = Buffer.from(w.epk, 'base64');
      const shared = diffieHellman({
        privateKey: own,
        publicKey: createPublicKey({ key: epk, format: 'der', type: 'spki' }),
      });
      const ct = Buffer.from(w.ct, 'base64');
      if (ct.length !== KEY_BYTES + 16) throw new Error('wrapped key has the wrong length');
      const d = createDecipheriv('aes-256-gcm', kek(shared, epk, aad), Buffer.from(w.iv, 'base64'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(ct.subarray(KEY_BYTES));
      key = Buffer.concat([d.update(ct.subarray(0, KEY_BYTES)), d.final()]);
    } else throw new Error(`unknown PIN key algorithm ${String(w.alg)}`);
    if (key.length !== KEY_BYTES) throw new Error('the roster key has the wrong length');
    return key;
  } catch (err) {
    throw refuse(
      `the roster's PIN key does not open with this unit's TLS key (made for another certificate?): ${(err as Error).message}`,
      err,
    );
  }
}
