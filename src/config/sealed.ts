/**
 * Credentials sealed to the unit's TPM with systemd's own tool: `systemd-creds encrypt
 * --with-key=tpm2` at provisioning, `LoadCredentialEncrypted=` (systemd unseals into
 * $CREDENTIALS_DIRECTORY) at every start. A sealed file `<name>.cred` opens only on the TPM that
 * sealed it: a copy of the card in another machine, or this unit after its TPM was cleared,
 * cannot open it.
 *
 * Why systemd-creds rather than tpm2-tools: it is what systemd offers natively (the service
 * manager unseals before the daemon runs, so the daemon needs no TPM device access and no
 * tools of its own), it authenticates the name the credential was sealed for (a sealed TLS key
 * cannot be passed off as the store key), and it takes any TPM the TSS libraries reach:
 * `SYSTEMD_TPM2_DEVICE=swtpm:port=…` reaches a software TPM in the tests.
 * The daemon also opens `<name>.cred` itself when it runs by hand (`alpr run` as root, with
 * `paths.credentialsDir` set to the sealed folder), and `alpr config check --deep` does, to say
 * why a unit cannot start.
 */
import { spawnSync } from 'node:child_process';
import { AlprError, ErrorCodes } from '../domain/errors.ts';

export const SEALED_SUFFIX = '.cred';
/** The secrets `alpr provision --tpm` seals: the store key and the unit's TLS private key. */
export const SEALED_NAMES = ['store.key', 'unit.key'] as const;

const CREDS = 'systemd-creds';

function run(args: string[], input?: Buffer) {
  return spawnSync(CREDS, args, { input, maxBuffer: 1 << 20, timeout: 60_000 });
}

/** First line of systemd-creds' complaint, without the TSS library's noise lines. */
function why(stderr: Buffer | string | null): string {
  const lines = String(stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(WARNING|ERROR):/.test(l) && !/PCR/.test(l));
  return lines[0] ?? 'no reason given';
}

/** Whether systemd-creds can reach a TPM2 here (SYSTEMD_TPM2_DEVICE or /dev/tpmrm0). */
export function tpmAvailable(): boolean {
  if (process.env.SYSTEMD_TPM2_DEVICE) return run(['--version']).status === 0;
  // has-tpm2 exits 0 only when firmware, driver and system all support it.
  return run(['has-tpm2', '--quiet']).status === 0;
}

/** Seals `data` for credential `name` with the unit's TPM; returns the sealed bytes. */
export function sealCredential(data: Buffer, name: string, opts: { pcrs?: string } = {}): Buffer {
  const args = ['encrypt', '--with-key=tpm2', `--name=${name}`];
  if (opts.pcrs !== undefined) args.push(`--tpm2-pcrs=${opts.pcrs}`);
  const r = run([...args, '-', '-'], data);
  if (r.error) {
    throw new AlprError(
      ErrorCodes.KEY_UNSEAL,
      `cannot seal "${name}": ${CREDS} not runnable (${r.error.message})`,
    );
  }
  if (r.status !== 0) {
    throw new AlprError(
      ErrorCodes.KEY_UNSEAL,
      `cannot seal "${name}" with the unit's TPM: ${why(r.stderr)} (no TPM? give --no-tpm to keep keys unsealed)`,
    );
  }
  return r.stdout;
}

/**
 * Opens a sealed credential file with the unit's TPM. A file sealed by another TPM (the card
 * moved to another unit, or this unit's TPM cleared) fails with ALPR_E_KEY_UNSEAL and a message
 * for the technician; nothing is opened with a wrong key.
 */
export function unsealCredential(file: string, name: string): Buffer {
  const r = run(['decrypt', `--name=${name}`, file, '-']);
  if (r.error) {
    throw new AlprError(
      ErrorCodes.KEY_UNSEAL,
      `cannot unseal "${name}": ${CREDS} not runnable (${r.error.message})`,
    );
  }
  if (r.status !== 0) {
    throw new AlprError(
      ErrorCodes.KEY_UNSEAL,
      `"${name}" is sealed to a TPM this unit does not have (${file}): the card comes from another unit, or this unit's TPM was cleared. The data on this card cannot be read here; re-provision the unit (alpr provision --tpm) with a new card or after wiping /var/lib/alpr. (${CREDS}: ${why(r.stderr)})`,
    );
  }
  return r.stdout;
}
