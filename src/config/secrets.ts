import { createPrivateKey, X509Certificate } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Config } from './schema.ts';
import { SEALED_SUFFIX, unsealCredential } from './sealed.ts';

/** Where `alpr provision` puts a unit's secrets (root-only; the service gets them through systemd). */
export const PROVISIONED_CREDENTIALS = '/etc/alpr/credentials';

/**
 * The folder secrets come from: config's credentialsDir, else systemd's $CREDENTIALS_DIRECTORY
 * (the service), else the provisioned folder when this process may read it (a technician's
 * `alpr selftest`, `config check --deep` or `roster import` as root on the unit).
 */
export function credentialsDir(
  configured: string | undefined,
  provisioned: string = PROVISIONED_CREDENTIALS,
): string | undefined {
  const dir = configured ?? process.env.CREDENTIALS_DIRECTORY;
  if (dir !== undefined) return dir;
  try {
    accessSync(provisioned, constants.R_OK | constants.X_OK);
    return provisioned;
  } catch {
    return undefined;
  }
}

/** How a secret reached the daemon: unsealed here, handed over by systemd, or a plain file. */
export type SecretSource = 'tpm' | 'systemd' | 'file';

/** Where `name` would come from in `dir` (without reading it). */
export function secretSource(dir: string, name: string): SecretSource {
  if (existsSync(join(dir, name + SEALED_SUFFIX))) return 'tpm';
  const sd = process.env.CREDENTIALS_DIRECTORY;
  return sd && sd === dir ? 'systemd' : 'file';
}

const unsealedCache = new Map<string, Buffer>();

/**
 * Reads one secret file (a key, a certificate). Secrets never live in the YAML. A sealed
 * `<name>.cred` beside it wins: it is opened with the unit's TPM (sealed.ts), and a TPM
 * that cannot open it stops here with ALPR_E_KEY_UNSEAL.
 */
export function readSecret(dir: string | undefined, name: string): Buffer {
  if (!dir) {
    throw new AlprError(
      ErrorCodes.SECRET_MISSING,
      `secret "${name}" needed but no credentials folder: set paths.credentialsDir, run under systemd with LoadCredential=, or provision the unit (${PROVISIONED_CREDENTIALS})`,
    );
  }
  const sealed = join(dir, name + SEALED_SUFFIX);
  if (existsSync(sealed)) {
    // Once per process: several stages read the store key, and every unseal is a TPM round trip.
    let key = unsealedCache.get(sealed);
    if (!key) {
      key = unsealCredential(sealed, name);
      unsealedCache.set(sealed, key);
    }
    return Buffer.from(key);
  }
  try {
    return readFileSync(join(dir, name));
  } catch (err) {
    throw new AlprError(ErrorCodes.SECRET_MISSING, `cannot read secret "${name}" in ${dir}`, { cause: err });
  }
}

/**
 * Loud warnings when the keys that protect the card are not sealed to the TPM: shown by
 * `alpr config check`, `alpr status` and the daemon's log. `sources` are the secrets the daemon
 * actually read (name → source); none for `config check`.
 */
export function keySealingWarnings(
  keySealing: 'tpm2' | 'none',
  sources: ReadonlyMap<string, SecretSource> = new Map(),
): string[] {
  if (keySealing === 'none') {
    return [
      'KEYS NOT SEALED (paths.keySealing: none): the store key and the TLS key are plain files on the card; a stolen card gives away every stored read, hit and image. Provision with --tpm on a unit with a TPM.',
    ];
  }
  const plain = [...sources].filter(([, s]) => s === 'file').map(([n]) => n);
  return plain.length === 0
    ? []
    : [
        `KEYS NOT SEALED: ${plain.join(', ')} read from plain files although paths.keySealing is tpm2; seal them with alpr provision --tpm.`,
      ];
}

/** Where the keys the config names would come from (store key, TLS key), without reading them. */
export function keySources(c: Readonly<Config>, creds: string | undefined): Map<string, SecretSource> {
  const out = new Map<string, SecretSource>();
  if (!creds) return out;
  if (c.store.encryption !== 'none') out.set(c.store.keyFile, secretSource(creds, c.store.keyFile));
  if (c.sync.type === 'mqtt' && c.sync.keyFile) out.set(c.sync.keyFile, secretSource(creds, c.sync.keyFile));
  return out;
}

/** Why a client certificate and key cannot be used together (not PEM, or not a pair), or null. */
export function certKeyProblem(cert: Buffer, key: Buffer): string | null {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return `the certificate cannot be read (${(err as Error).message})`;
  }
  try {
    return x509.checkPrivateKey(createPrivateKey(key))
      ? null
      : 'the certificate was not issued for this key (provision again, or name the matching pair)';
  } catch (err) {
    return `the key cannot be read (${(err as Error).message})`;
  }
}
