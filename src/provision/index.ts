/**
 * `alpr provision`: install a bundle onto a target root (a mounted SD card or eMMC image, or `/`),
 * write the unit's identity and credentials, enable the service; A/B updates with rollback.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { join, resolve } from 'node:path';
import { applyActions, inspectTarget, readAdminPublicKey, runCheck } from './apply.ts';
import { readManifest, verifyBundle } from './manifest.ts';
import { SEALED_SUFFIX } from '../config/sealed.ts';
import {
  type Action,
  adminKeyId,
  type CertChoice,
  type Identity,
  type KeySealing,
  LAYOUT,
  parseCameras,
  planInstall,
  planPrune,
  planRestore,
  planRollback,
  renderConfig,
} from './plan.ts';

/** Run after the switch; a failure rolls back. `$ALPR_RELEASE` is the new release folder. */
export const DEFAULT_CHECK = '"$ALPR_RELEASE/bin/alpr" --version';

export interface ProvisionOptions {
  bundle: string;
  root: string;
  unitId?: string | undefined;
  agency?: string | undefined;
  mode?: 'car' | 'trailer' | undefined;
  /** `front:/dev/video0,rear:/dev/video2` */
  cameras?: string | undefined;
  broker?: string | undefined;
  adminKeys?: string[] | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
  csr?: boolean | undefined;
  /**
   * `tpm2`: make the keys and seal them (and any plain ones already there) to the unit's own TPM
   * (run on the unit itself); `none`: plain key files. Absent: as the unit has them (plain for a
   * new unit; the CLI asks for one of --tpm / --no-tpm then).
   */
  keySealing?: KeySealing | undefined;
  /** Post-install check commands (sh); DEFAULT_CHECK when absent, none when []. */
  checks?: string[] | undefined;
  checkTimeoutMs?: number;
}

export interface ProvisionResult {
  version: string;
  previous: string | null;
  /** The bundle was already current: only identity and credentials changed. */
  inPlace: boolean;
  /** The certificate request to send to the agency CA, when one was made. */
  csr: string | null;
  configWritten: boolean;
  keySealing: KeySealing;
  rolledBack: boolean;
  /** Why the post-install check failed (then rolledBack is true). */
  failure: string | null;
}

function identityOf(o: ProvisionOptions): Identity | null {
  if (!o.unitId && !o.agency) return null;
  if (!o.unitId || !o.agency) throw new Error('--unit-id and --agency go together');
  return { unitId: o.unitId, agency: o.agency, mode: o.mode ?? 'car' };
}

function certChoice(o: ProvisionOptions, hasKey: boolean): CertChoice | null {
  if (o.csr && (o.cert || o.key)) throw new Error('give either --cert and --key, or --csr');
  if (o.cert || o.key) {
    if (!o.cert) throw new Error('--key goes with --cert');
    return {
      kind: 'install',
      cert: resolve(o.cert),
      key: o.key && resolve(o.key),
      ca: o.ca && resolve(o.ca),
    };
  }
  // A fresh unit gets its key pair and a request to send to the agency CA.
  return o.csr || !hasKey ? { kind: 'csr' } : null;
}

export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const bundle = resolve(o.bundle);
  const root = resolve(o.root);
  const manifest = readManifest(bundle);
  const damaged = await verifyBundle(bundle);
  if (damaged.length > 0)
    throw new Error(`bundle ${bundle} does not match its manifest: ${damaged.slice(0, 5).join('; ')}`);
  const state = inspectTarget(root);
  const identity = identityOf(o);
  const hasConfig = existsSync(join(root, LAYOUT.config));
  if (!identity && !hasConfig) throw new Error('a new unit needs --unit-id and --agency');
  if (!identity && (o.cameras || o.broker || o.adminKeys?.length))
    throw new Error(
      '--cameras, --broker and --admin-key rewrite the config: give --unit-id and --agency too',
    );
  if (o.ca && !o.cert) throw new Error('--ca goes with --cert and --key');
  const adminKeys = (o.adminKeys ?? []).map((f) => ({ id: adminKeyId(f), publicKey: readAdminPublicKey(f) }));
  const keySealing: KeySealing = o.keySealing ?? (state.sealed ? 'tpm2' : 'none');
  const configYaml = identity
    ? renderConfig({
        templateYaml: readFileSync(join(bundle, 'config/default.yaml'), 'utf8'),
        identity,
        cameras: o.cameras ? parseCameras(o.cameras) : undefined,
        broker: o.broker,
        adminKeys,
        keySealing,
      })
    : keptConfig(join(root, LAYOUT.config), keySealing);
  const cert = certChoice(o, state.unitKey);
  if (cert?.kind === 'csr' && !identity)
    throw new Error('a certificate request needs --unit-id and --agency');
  const actions = planInstall({
    bundleDir: bundle,
    version: manifest.version,
    state,
    configYaml,
    identity,
    cert,
    adminKeys,
    keySealing,
  });
  // The files this run creates (keys, request, config, sealed copies): a failure removes them, so a
  // failed `--tpm` leaves no plain key behind and no config that says the keys are sealed.
  const created = newFiles(root, actions);
  try {
    applyActions(root, actions);
  } catch (err) {
    // Half an install is worse than none: links, units and the new folder go back as they were.
    applyActions(root, planRestore(state, manifest.version));
    for (const f of created) rmSync(f, { force: true });
    throw err;
  }

  const releaseDir = join(root, LAYOUT.releases, manifest.version);
  let failure: string | null = null;
  const altered = await verifyBundle(releaseDir);
  if (altered.length > 0)
    failure = `installed copy differs from the bundle: ${altered.slice(0, 5).join('; ')}`;
  for (const cmd of o.checks ?? [DEFAULT_CHECK]) {
    if (failure) break;
    failure = runCheck(cmd, { ALPR_RELEASE: releaseDir, ALPR_ROOT: root }, o.checkTimeoutMs ?? 120_000);
  }
  const result: ProvisionResult = {
    version: manifest.version,
    previous: state.current === manifest.version ? state.previous : state.current,
    csr: cert?.kind === 'csr' ? join(root, LAYOUT.csr) : null,
    inPlace: state.current === manifest.version,
    configWritten: configYaml !== null,
    keySealing,
    rolledBack: false,
    failure,
  };
  if (failure) {
    applyActions(root, planRestore(state, manifest.version));
    result.rolledBack = true;
  } else {
    applyActions(root, planPrune(inspectTarget(root)));
  }
  return result;
}

/** The kept config with `paths.keySealing` set, or null when it already says so (comments kept). */
function keptConfig(file: string, keySealing: KeySealing): string | null {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const now = doc.getIn(['paths', 'keySealing']) ?? 'none';
  if (now === keySealing) return null;
  doc.setIn(['paths', 'keySealing'], keySealing);
  return doc.toString({ lineWidth: 0 });
}

/** `alpr provision --rollback`: back to the previous release. Returns [from, to]. */
export function rollback(rootDir: string): [string | null, string] {
  const root = resolve(rootDir);
  const state = inspectTarget(root);
  applyActions(root, planRollback(state));
  return [state.current, state.previous!];
}

/** The files (absolute) that `actions` would write and that do not exist yet. */
function newFiles(root: string, actions: readonly Action[]): string[] {
  const paths = actions.flatMap((a) => {
    switch (a.op) {
      case 'write':
      case 'randomKey':
        return [a.path];
      case 'copyFile':
        return [a.to];
      case 'keyAndCsr':
        return [a.key, a.csr];
      case 'seal':
        return a.names.map((n) => join(LAYOUT.credentials, `${n}${SEALED_SUFFIX}`));
      default:
        return [];
    }
  });
  return paths.map((p) => join(root, p)).filter((f) => !existsSync(f));
}
