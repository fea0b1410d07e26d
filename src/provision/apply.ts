/** The I/O half of `alpr provision`: inspects the target root and carries out planned actions. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { SEALED_SUFFIX, sealCredential, unsealCredential } from '../config/sealed.ts';
import { type Action, LAYOUT, SEALED_KEYS, type TargetState } from './plan.ts';

function linkVersion(root: string, link: string): string | null {
  try {
    return basename(readlinkSync(join(root, link)));
  } catch {
    return null;
  }
}

export function inspectTarget(root: string): TargetState {
  const rels = join(root, LAYOUT.releases);
  return {
    current: linkVersion(root, LAYOUT.current),
    previous: linkVersion(root, LAYOUT.previous),
    releases: existsSync(rels)
      ? readdirSync(rels)
          .filter((n) => !n.startsWith('.'))
          .sort()
      : [],
    storeKey: hasKey(root, 'store.key'),
    unitKey: hasKey(root, 'unit.key'),
    sealed: SEALED_KEYS.some((k) => existsSync(join(root, LAYOUT.credentials, k + SEALED_SUFFIX))),
  };
}

function hasKey(root: string, name: string): boolean {
  const at = join(root, LAYOUT.credentials, name);
  return existsSync(at) || existsSync(at + SEALED_SUFFIX);
}

/** A key file's bytes: the plain file, or its sealed twin opened with the unit's own TPM. */
function keyBytes(path: string): Buffer {
  if (existsSync(path)) return readFileSync(path);
  return unsealCredential(path + SEALED_SUFFIX, basename(path));
}

function openssl(args: string[], input?: Buffer): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8', input });
  if (r.error) throw new Error(`openssl not runnable: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim().split('\n')[0]}`);
  return r.stdout;
}

/**
 * A certificate request from a sealed key, opened in memory only: `req` reads a key only from a
 * path, and /dev/stdin is a real pipe only behind a shell pipeline (node gives a socket).
 */
function csrFromSealedKey(key: string, subject: string, csr: string): void {
  const r = spawnSync(
    'sh',
    ['-c', 'cat | openssl req -new -sha256 -key /dev/stdin -subj "$1" -out "$2"', 'sh', subject, csr],
    { input: keyBytes(key), encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr.trim().split('\n')[0]}`);
}

/** Writes through a temporary file and a rename, with the mode set before the content lands. */
function atomicWrite(file: string, data: string | Buffer, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function atomicSymlink(link: string, target: string): void {
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

/** Carries out one action under `root`; `from` paths are absolute or relative to `root`. */
export function applyAction(root: string, a: Action): void {
  const at = (p: string) => join(root, p);
  const src = (p: string) => (isAbsolute(p) ? p : at(p));
  switch (a.op) {
    case 'mkdir':
      mkdirSync(at(a.path), { recursive: true, mode: a.mode });
      chmodSync(at(a.path), a.mode);
      return;
    case 'copyTree': {
      const tmp = join(dirname(at(a.to)), `.partial-${basename(a.to)}-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      cpSync(src(a.from), tmp, { recursive: true, verbatimSymlinks: true });
      renameSync(tmp, at(a.to));
      return;
    }
    case 'remove':
      rmSync(at(a.path), { recursive: true, force: true });
      return;
    case 'write':
      atomicWrite(at(a.path), a.content, a.mode);
      return;
    case 'copyFile': {
      const tmp = `${at(a.to)}.tmp-${process.pid}`;
      copyFileSync(src(a.from), tmp);
      chmodSync(tmp, a.mode);
      renameSync(tmp, at(a.to));
      return;
    }
    case 'randomKey':
      if (existsSync(at(a.path))) return;
      writeFileSync(at(a.path), randomBytes(a.bytes), { mode: a.mode, flag: 'wx' });
      return;
    case 'keyAndCsr':
      if (!existsSync(at(a.key)) && !existsSync(at(a.key) + SEALED_SUFFIX)) {
        openssl([
          'genpkey',
          '-algorithm',
          'EC',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-out',
          `${at(a.key)}.tmp`,
        ]);
        chmodSync(`${at(a.key)}.tmp`, 0o600);
        renameSync(`${at(a.key)}.tmp`, at(a.key));
      }
      if (existsSync(at(a.key)))
        openssl(['req', '-new', '-sha256', '-key', at(a.key), '-subj', a.subject, '-out', at(a.csr)]);
      else csrFromSealedKey(at(a.key), a.subject, at(a.csr));
      chmodSync(at(a.csr), 0o644);
      return;
    case 'checkCertKey': {
      const fromCert = openssl(['x509', '-noout', '-pubkey', '-in', src(a.cert)]).trim();
      // No -in: pkey reads the key from stdin, so a sealed key is opened in memory only.
      const fromKey = openssl(['pkey', '-pubout'], keyBytes(src(a.key))).trim();
      if (fromCert !== fromKey) throw new Error('the certificate does not belong to the given key');
      return;
    }
    case 'symlink':
      atomicSymlink(at(a.path), a.target);
      return;
    case 'seal':
      for (const name of a.names) sealKey(at(join(LAYOUT.credentials, name)), name);
      return;
    case 'unitFile':
      atomicWrite(at(a.to), sealedUnit(readFileSync(src(a.from), 'utf8'), root), 0o644);
      return;
  }
}

/**
 * Seals a plain key file to the unit's own TPM: `<file>.cred`, opened once to check it, then the
 * plain file overwritten and removed (on flash the old blocks may survive: seal before the key
 * has ever protected data, as provisioning does).
 */
function sealKey(file: string, name: string): void {
  if (!existsSync(file)) return;
  const plain = readFileSync(file);
  const sealed = sealCredential(plain, name);
  atomicWrite(`${file}${SEALED_SUFFIX}`, sealed, 0o600);
  if (!unsealCredential(`${file}${SEALED_SUFFIX}`, name).equals(plain)) {
    rmSync(`${file}${SEALED_SUFFIX}`, { force: true });
    throw new Error(`sealed ${name} does not open to the same key: left unsealed`);
  }
  writeFileSync(file, Buffer.alloc(plain.length));
  rmSync(file);
}

/** The unit text with LoadCredential= lines of sealed credentials turned into LoadCredentialEncrypted=. */
export function sealedUnit(text: string, root: string): string {
  return text.replace(/^LoadCredential=([^:\s]+):(\S+)$/gm, (line, id: string, path: string) =>
    existsSync(join(root, path + SEALED_SUFFIX))
      ? `LoadCredentialEncrypted=${id}:${path}${SEALED_SUFFIX}`
      : line,
  );
}

export function applyActions(root: string, actions: readonly Action[]): void {
  for (const a of actions) applyAction(root, a);
}

/** An admin public key file (PEM SPKI or one line of base64 raw key) → base64 of the raw 32 bytes. */
export function readAdminPublicKey(file: string): string {
  const text = readFileSync(file, 'utf8').trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return text;
  try {
    const k = createPublicKey(text);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`is ${k.asymmetricKeyType}, not Ed25519`);
    const x = k.export({ format: 'jwk' }).x;
    if (!x) throw new Error('no key material');
    return Buffer.from(x, 'base64url').toString('base64');
  } catch (err) {
    throw new Error(`admin key ${file}: not an Ed25519 public key (${(err as Error).message})`);
  }
}

/**
 * The post-install check: runs `command` (through sh) with ALPR_RELEASE set to the new release
 * and ALPR_ROOT to the target root. Returns null when it passed, else the reason.
 */
export function runCheck(command: string, env: Record<string, string>, timeoutMs: number): string | null {
  const r = spawnSync('sh', ['-c', command], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (r.error) return `${command}: ${r.error.message}`;
  if (r.status === 0) return null;
  const tail = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join('\n');
  return `${command}: exit ${r.status ?? r.signal}${tail ? `\n${tail}` : ''}`;
}

/** The target's root-owned paths must not be readable by others: checks credentials modes. */
export function credentialModes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = join(root, LAYOUT.credentials);
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string) => {
    out[rel || '.'] = (lstatSync(d).mode & 0o777).toString(8);
    if (!lstatSync(d).isDirectory()) return;
    for (const n of readdirSync(d)) walk(join(d, n), rel ? `${rel}/${n}` : n);
  };
  walk(dir, '');
  return out;
}

export function versionOf(root: string): string | null {
  return linkVersion(root, LAYOUT.current);
}

/** `git`-free check that the installed launcher starts: `<release>/bin/alpr --version`. */
export function launcherVersion(releaseDir: string): string {
  return execFileSync(join(releaseDir, 'bin/alpr'), ['--version'], {
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
}
