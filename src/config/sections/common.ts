import { isIPv6 } from 'node:net';
import { z } from 'zod';

export const orientation = z.enum(['front', 'rear', 'left', 'right']).describe('Camera mounting direction');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** A path; relative paths are resolved against the config file's folder. */
export const pathString = z.string().min(1).max(4096);

export const unitSection = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
      .describe('Unit identity, as provisioned'),
    agency: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
      .describe('Agency identifier used in MQTT topics'),
    mode: z.enum(['car', 'trailer']).default('car').describe('Trailers run without an operator'),
  })
  .describe('Who this unit is');

export const pathsSection = z
  .strictObject({
    dataDir: pathString.default('/var/lib/alpr').describe('SQLite files, images, outbox'),
    credentialsDir: pathString
      .optional()
      .describe('Folder of secret files; defaults to $CREDENTIALS_DIRECTORY (systemd LoadCredential=)'),
    keySealing: z
      .enum(['tpm2', 'none'])
      .default('none')
      .describe(
        'How the store key and the TLS key are kept on the card: "tpm2" = sealed to this unit\'s TPM by `alpr provision --tpm` (systemd-creds; unsealed at start by LoadCredentialEncrypted=), "none" = plain files, for units without a TPM: a stolen card gives them away, and `alpr config check` and `alpr status` say so',
      ),
  })
  .prefault({})
  .describe('Where the unit keeps its data and finds its secrets');

export const logSection = z
  .strictObject({
    level: logLevel
      .default('info')
      .describe(
        'Lowest level written (JSON lines on stdout, the journal under systemd); plates never appear. ALPR_LOG_LEVEL in the environment (a systemd drop-in) overrides it',
      ),
  })
  .prefault({})
  .describe('Logging');

/**
 * True when binding to `host` listens on every interface (or the name is no host at all). Written
 * forms differ ("0", "0x0", "::0", "[::]", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0"), so the address is
 * normalised the way URLs are (WHATWG: the same numeric IPv4 forms getaddrinfo takes) first.
 */
export function wildcardHost(host: string): boolean {
  const h = host.trim();
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  const unzoned = bare.replace(/%[A-Za-z0-9._-]+$/, '');
  let name: string;
  try {
    name = new URL(`http://${isIPv6(unzoned) ? `[${unzoned}]` : unzoned}/`).hostname;
  } catch {
    return true;
  }
  return name === '' || name === '0.0.0.0' || name === '[::]' || name === '[::ffff:0:0]';
}

/** A listening address: loopback or one interface's address, never every interface. */
export const bindHost = z.string().refine((h) => !wildcardHost(h), {
  message: 'bind to loopback or one interface address, never to every interface (0, 0.0.0.0, ::)',
});
