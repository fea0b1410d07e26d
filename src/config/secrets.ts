import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlprError, ErrorCodes } from '../domain/errors.ts';

/** The folder secrets come from: config's credentialsDir, else systemd's $CREDENTIALS_DIRECTORY. */
export function credentialsDir(configured: string | undefined): string | undefined {
  return configured ?? process.env.CREDENTIALS_DIRECTORY;
}

/** Reads one secret file (a key, a certificate). Secrets never live in the YAML. */
export function readSecret(dir: string | undefined, name: string): Buffer {
  if (!dir) {
    throw new AlprError(
      ErrorCodes.SECRET_MISSING,
      `secret "${name}" needed but no credentials folder: set paths.credentialsDir or run under systemd with LoadCredential=`,
    );
  }
  try {
    return readFileSync(join(dir, name));
  } catch (err) {
    throw new AlprError(ErrorCodes.SECRET_MISSING, `cannot read secret "${name}" in ${dir}`, { cause: err });
  }
}
