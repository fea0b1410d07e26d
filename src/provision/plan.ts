/**
 * `alpr provision` as pure planning: from the bundle, the unit's identity and what the target
 * root already holds, the list of file actions that install a release side by side (A/B), switch
 * `current` atomically and write the unit's identity and credentials. apply.ts carries them out.
 *
 * Target layout (all under --root):
 *   opt/alpr/releases/<version>/   one folder per installed bundle
 *   opt/alpr/current -> releases/<version>     (relative link, switched by rename(2))
 *   opt/alpr/previous -> releases/<version>    (what a rollback returns to)
 *   etc/alpr/config.yaml           identity and cameras (no secrets)
 *   etc/alpr/unit.csr              certificate request for the agency CA (when no cert is given)
 *   etc/alpr/credentials/          0700: store.key, unit.key, unit.crt, ca.pem, admin-keys/*.pub
 *                                  (with --tpm: store.key.cred and unit.key.cred, sealed to the
 *                                  unit's TPM by systemd-creds, and no plain copy of either)
 *   etc/systemd/system/alpr.service + multi-user.target.wants/alpr.service (enabled, no systemctl)
 */
import { posix } from 'node:path';
import { parse, stringify } from 'yaml';
import { configProblems } from '../config/load.ts';

export const LAYOUT = {
  releases: 'opt/alpr/releases',
  current: 'opt/alpr/current',
  previous: 'opt/alpr/previous',
  etc: 'etc/alpr',
  config: 'etc/alpr/config.yaml',
  csr: 'etc/alpr/unit.csr',
  credentials: 'etc/alpr/credentials',
  adminKeys: 'etc/alpr/credentials/admin-keys',
  unitFile: 'etc/systemd/system/alpr.service',
  wants: 'etc/systemd/system/multi-user.target.wants/alpr.service',
  sysusers: 'etc/sysusers.d/alpr.conf',
  udevRules: 'etc/udev/rules.d/70-alpr-leds.rules',
  /** `alpr` on the technician's PATH, following whichever release is current. */
  bin: 'usr/local/bin/alpr',
} as const;

export type Action =
  | { op: 'mkdir'; path: string; mode: number }
  /** Copies a folder to `to` via a temporary sibling and a rename: a release appears whole or not at all. */
  | { op: 'copyTree'; from: string; to: string }
  | { op: 'remove'; path: string }
  | { op: 'write'; path: string; content: string; mode: number }
  | { op: 'copyFile'; from: string; to: string; mode: number }
  /** 32 random bytes; never replaces an existing key (the store would become unreadable). */
  | { op: 'randomKey'; path: string; bytes: number; mode: number }
  /** EC P-256 key (kept if present) and a CSR with CN = unit id, O = agency. */
  | { op: 'keyAndCsr'; key: string; csr: string; subject: string }
  /** Fails unless the certificate's public key is the key's (absolute or root-relative paths). */
  | { op: 'checkCertKey'; cert: string; key: string }
  /** Atomic: a temporary link renamed over `path`. */
  | { op: 'symlink'; path: string; target: string }
  /**
   * Seals each plain `credentials/<name>` to the unit's own TPM as `<name>.cred` (checked by
   * opening it again), then removes the plain file. Names without a plain file are skipped.
   */
  | { op: 'seal'; names: readonly string[] }
  /**
   * The service unit from a release: each `LoadCredential=ID:PATH` whose `PATH.cred` exists under
   * the root becomes `LoadCredentialEncrypted=ID:PATH.cred` (systemd unseals it at start).
   */
  | { op: 'unitFile'; from: string; to: string };

export interface CameraSpec {
  id: string;
  device: string;
  orientation: 'front' | 'rear' | 'left' | 'right';
}

const ORIENTATIONS = ['front', 'rear', 'left', 'right'] as const;

/** `front:/dev/video0,rear:/dev/video2[,cab:/dev/video4:left]` → camera specs; throws on nonsense. */
export function parseCameras(spec: string): CameraSpec[] {
  const out: CameraSpec[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, device, orient, ...rest] = part.split(':');
    if (!id || !device || rest.length > 0)
      throw new Error(`camera "${part}": expected id:/dev/videoN[:orientation]`);
    const o = orient ?? (ORIENTATIONS.includes(id as CameraSpec['orientation']) ? id : undefined);
    if (!o || !ORIENTATIONS.includes(o as CameraSpec['orientation']))
      throw new Error(`camera "${part}": orientation must be one of ${ORIENTATIONS.join(', ')}`);
    if (!device.startsWith('/dev/')) throw new Error(`camera "${part}": device must be under /dev/`);
    if (out.some((c) => c.id === id)) throw new Error(`camera "${id}" given twice`);
    out.push({ id, device, orientation: o as CameraSpec['orientation'] });
  }
  if (out.length === 0) throw new Error('no cameras given');
  return out;
}

export interface Identity {
  unitId: string;
  agency: string;
  mode: 'car' | 'trailer';
}

export interface ConfigInput {
  /** The bundle's config/default.yaml: the template. */
  templateYaml: string;
  identity: Identity;
  cameras?: CameraSpec[] | undefined;
  /** Broker URL (mqtts://…); the template's when absent. */
  broker?: string | undefined;
  adminKeys: { id: string; publicKey: string }[];
  /** Written as paths.keySealing; `none` when absent. */
  keySealing?: KeySealing | undefined;
}

/** `tpm2`: keys sealed to the unit's TPM (provision --tpm); `none`: plain key files (--no-tpm). */
export type KeySealing = 'tpm2' | 'none';

/** The unit's config.yaml, validated by the config schema; throws listing every problem. */
export function renderConfig(i: ConfigInput): string {
  const c = parse(i.templateYaml) as Record<string, unknown> & {
    cameras?: Record<string, unknown>[];
    sync?: Record<string, unknown>;
    hotlist?: Record<string, unknown>;
  };
  c.unit = { id: i.identity.unitId, agency: i.identity.agency, mode: i.identity.mode };
  c.paths = {
    ...((c.paths as Record<string, unknown> | undefined) ?? {}),
    keySealing: i.keySealing ?? 'none',
  };
  if (i.cameras) {
    // Resolution and rate as the template's first V4L2 camera: the same camera model fleet-wide.
    const tpl = (c.cameras ?? []).find((x) => x.type === 'v4l2') ?? {};
    const { id: _id, url: _url, orientation: _o, ...rest } = tpl;
    c.cameras = i.cameras.map((cam) => ({
      id: cam.id,
      type: 'v4l2',
      orientation: cam.orientation,
      url: cam.device,
      ...rest,
    }));
  }
  if (i.broker) c.sync = { ...(c.sync ?? { type: 'mqtt' }), type: 'mqtt', url: i.broker };
  if (i.adminKeys.length > 0) c.hotlist = { ...(c.hotlist ?? {}), adminKeys: i.adminKeys };
  const problems = configProblems(c);
  if (problems.length > 0) throw new Error(`unit config would be invalid: ${problems.join('; ')}`);
  const head =
    `# Written by \`alpr provision\` for unit ${i.identity.unitId} (${i.identity.agency}).\n` +
    '# Secrets are not here: they are files in /etc/alpr/credentials/ (systemd LoadCredential=).\n' +
    (i.keySealing !== 'tpm2'
      ? '# KEYS NOT SEALED (paths.keySealing: none): a stolen card gives away the store key and the TLS key.\n'
      : '');
  return head + stringify(c, { lineWidth: 0 });
}

/** What the target root holds before provisioning (apply.ts inspects it). */
export interface TargetState {
  /** Version `current` points at, or null on a fresh root. */
  current: string | null;
  previous: string | null;
  releases: string[];
  /** A store key, plain or sealed. */
  storeKey: boolean;
  /** The unit's TLS key, plain or sealed. */
  unitKey: boolean;
  /** Some key is sealed to a TPM (`<name>.cred`). */
  sealed?: boolean;
}

/** The keys `--tpm` seals (src/config/sealed.ts SEALED_NAMES). */
export const SEALED_KEYS = ['store.key', 'unit.key'] as const;

export type CertChoice =
  | { kind: 'csr' }
  /** Without `key`: the certificate was issued for the unit's own key (the CSR provisioning made). */
  | { kind: 'install'; cert: string; key?: string | undefined; ca?: string | undefined };

export interface InstallInput {
  bundleDir: string;
  version: string;
  state: TargetState;
  /** Rendered config.yaml, or null to keep the target's (an update of a provisioned unit). */
  configYaml: string | null;
  identity: Identity | null;
  cert: CertChoice | null;
  adminKeys: { id: string; publicKey: string }[];
  /** `none` when absent. */
  keySealing?: KeySealing | undefined;
}

const rel = (...p: string[]) => posix.join(...p);

/** The switch itself: `previous` takes the old `current`, `current` the new version. */
function switchTo(version: string, oldCurrent: string | null): Action[] {
  const out: Action[] = [];
  if (oldCurrent && oldCurrent !== version)
    out.push({ op: 'symlink', path: LAYOUT.previous, target: rel('releases', oldCurrent) });
  out.push({ op: 'symlink', path: LAYOUT.current, target: rel('releases', version) });
  return out;
}

/** systemd units from a release, and the wants link `systemctl enable` would make. */
export function unitActions(releaseDir: string): Action[] {
  return [
    { op: 'mkdir', path: 'etc/systemd/system/multi-user.target.wants', mode: 0o755 },
    { op: 'unitFile', from: rel(releaseDir, 'systemd/alpr.service'), to: LAYOUT.unitFile },
    { op: 'symlink', path: LAYOUT.wants, target: `/${LAYOUT.unitFile}` },
    { op: 'mkdir', path: 'etc/sysusers.d', mode: 0o755 },
    { op: 'copyFile', from: rel(releaseDir, 'systemd/alpr.sysusers.conf'), to: LAYOUT.sysusers, mode: 0o644 },
    { op: 'mkdir', path: 'etc/udev/rules.d', mode: 0o755 },
    { op: 'copyFile', from: rel(releaseDir, 'systemd/alpr-leds.rules'), to: LAYOUT.udevRules, mode: 0o644 },
    { op: 'mkdir', path: 'usr/local/bin', mode: 0o755 },
    { op: 'symlink', path: LAYOUT.bin, target: `/${LAYOUT.current}/bin/alpr` },
  ];
}

/**
 * Installs a release beside the others, writes identity and credentials, enables the service.
 * With the current release's own bundle it changes identity and credentials only (e.g. the
 * certificate the agency CA issued for the request made at first provisioning).
 */
export function planInstall(i: InstallInput): Action[] {
  const { state, version } = i;
  const inPlace = state.current === version;
  const releaseDir = rel(LAYOUT.releases, version);
  const out: Action[] = [];
  const cert = i.cert;
  if (i.keySealing === 'none' && state.sealed)
    throw new Error(
      "this unit's keys are sealed to its TPM: --no-tpm cannot unseal them (re-provision a wiped card)",
    );
  if (cert?.kind === 'install') {
    if (!cert.key && !state.unitKey) throw new Error('the unit has no key yet: give --key with --cert');
    // Before anything is written: a mismatched pair must not replace the unit's working key.
    out.push({ op: 'checkCertKey', cert: cert.cert, key: cert.key ?? rel(LAYOUT.credentials, 'unit.key') });
  }
  if (!inPlace) {
    out.push({ op: 'mkdir', path: LAYOUT.releases, mode: 0o755 });
    // A leftover folder of the same version (an interrupted or rolled-back install) is replaced.
    if (state.releases.includes(version)) out.push({ op: 'remove', path: releaseDir });
    out.push({ op: 'copyTree', from: i.bundleDir, to: releaseDir });
  }

  out.push({ op: 'mkdir', path: LAYOUT.etc, mode: 0o755 });
  out.push({ op: 'mkdir', path: LAYOUT.credentials, mode: 0o700 });
  if (i.configYaml !== null)
    out.push({ op: 'write', path: LAYOUT.config, content: i.configYaml, mode: 0o644 });
  if (!state.storeKey)
    out.push({ op: 'randomKey', path: rel(LAYOUT.credentials, 'store.key'), bytes: 32, mode: 0o600 });
  if (cert?.kind === 'install') {
    if (cert.key)
      out.push({ op: 'copyFile', from: cert.key, to: rel(LAYOUT.credentials, 'unit.key'), mode: 0o600 });
    out.push({ op: 'copyFile', from: cert.cert, to: rel(LAYOUT.credentials, 'unit.crt'), mode: 0o600 });
    if (cert.ca)
      out.push({ op: 'copyFile', from: cert.ca, to: rel(LAYOUT.credentials, 'ca.pem'), mode: 0o600 });
  } else if (cert?.kind === 'csr') {
    if (!i.identity) throw new Error('a certificate request needs the unit identity');
    out.push({
      op: 'keyAndCsr',
      key: rel(LAYOUT.credentials, 'unit.key'),
      csr: LAYOUT.csr,
      subject: `/O=${i.identity.agency}/CN=${i.identity.unitId}`,
    });
  }
  if (i.keySealing === 'tpm2') out.push({ op: 'seal', names: SEALED_KEYS });
  if (i.adminKeys.length > 0) {
    out.push({ op: 'mkdir', path: LAYOUT.adminKeys, mode: 0o700 });
    for (const k of i.adminKeys)
      out.push({
        op: 'write',
        path: rel(LAYOUT.adminKeys, `${k.id}.pub`),
        content: `${k.publicKey}\n`,
        mode: 0o600,
      });
  }
  out.push(...unitActions(releaseDir));
  if (!inPlace) out.push(...switchTo(version, state.current));
  return out;
}

/** After a successful install (A/B): keep `current` and `previous`, remove older releases. */
export function planPrune(state: TargetState): Action[] {
  const keep = new Set([state.current, state.previous]);
  return state.releases
    .filter((r) => !keep.has(r))
    .map((r): Action => ({ op: 'remove', path: rel(LAYOUT.releases, r) }));
}

/** Undoes a failed install: links and units as they were before, the new release removed. */
export function planRestore(before: TargetState, failed: string): Action[] {
  const out: Action[] = [];
  if (before.current) {
    out.push(...unitActions(rel(LAYOUT.releases, before.current)));
    out.push({ op: 'symlink', path: LAYOUT.current, target: rel('releases', before.current) });
  } else {
    // A fresh unit whose first release fails stays disabled rather than restarting a broken service.
    out.push(
      { op: 'remove', path: LAYOUT.wants },
      { op: 'remove', path: LAYOUT.bin },
      { op: 'remove', path: LAYOUT.current },
    );
  }
  if (before.previous)
    out.push({ op: 'symlink', path: LAYOUT.previous, target: rel('releases', before.previous) });
  else out.push({ op: 'remove', path: LAYOUT.previous });
  if (before.current !== failed) out.push({ op: 'remove', path: rel(LAYOUT.releases, failed) });
  return out;
}

/** Back to `previous` (after a failed update): the two links swap, the units come from that release. */
export function planRollback(state: TargetState): Action[] {
  if (!state.previous) throw new Error('no previous release to roll back to');
  if (!state.releases.includes(state.previous))
    throw new Error(`previous release ${state.previous} is missing from ${LAYOUT.releases}`);
  const out: Action[] = [...unitActions(rel(LAYOUT.releases, state.previous))];
  if (state.current)
    out.push({ op: 'symlink', path: LAYOUT.previous, target: rel('releases', state.current) });
  else out.push({ op: 'remove', path: LAYOUT.previous });
  out.push({ op: 'symlink', path: LAYOUT.current, target: rel('releases', state.previous) });
  return out;
}

/** Admin public key file text → base64 of the raw 32-byte Ed25519 key (PEM or base64 accepted). */
export function adminKeyId(fileName: string): string {
  const base = posix.basename(fileName.replace(/\\/g, '/')).replace(/\.(pub|pem|key|txt)$/, '');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(base))
    throw new Error(`admin key id "${base}" (from the file name) is not valid`);
  return base;
}
