/**
 * The bundle manifest: what a deployable bundle holds, which build it came from and the sha256 of
 * every file. Written by scripts/build-bundle.ts, checked by `alpr provision` before installing.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface BundleManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  /** `git rev-parse HEAD` of the build, with `-dirty` when the working tree had changes. */
  commit: string;
  builtAt: string;
  node: { version: string; modules: string };
  platform: string;
  arch: string;
  /** Relative path (POSIX separators) → sha256 hex; symlinks as `link:<target>`. */
  files: Record<string, string>;
}

/** Release folder names: a version, optionally with a build suffix (`0.1.0`, `0.1.0+abc1234`). */
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/** Checks a parsed manifest's shape; returns the problems (none = usable). */
export function manifestProblems(m: unknown): string[] {
  const out: string[] = [];
  const x = m as Partial<BundleManifest> | null;
  if (!x || typeof x !== 'object') return ['manifest is not an object'];
  if (x.format !== MANIFEST_FORMAT) out.push(`unsupported manifest format ${String(x.format)}`);
  if (typeof x.version !== 'string' || !VERSION_RE.test(x.version) || x.version.includes('..'))
    out.push('version must be 1-64 of A-Z a-z 0-9 . + _ -');
  if (typeof x.commit !== 'string') out.push('commit missing');
  if (!x.files || typeof x.files !== 'object' || Object.keys(x.files).length === 0) out.push('files missing');
  else {
    for (const [p, h] of Object.entries(x.files)) {
      if (p.startsWith('/') || p.split('/').includes('..')) out.push(`unsafe path ${p}`);
      if (typeof h !== 'string' || !/^([0-9a-f]{64}|link:.+)$/.test(h)) out.push(`bad checksum for ${p}`);
    }
  }
  return out;
}

/** Every file and symlink under `dir` (relative, POSIX separators), sorted; folders recursed. */
export function listFiles(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      const rel = relative(dir, abs).split(sep).join(posix.sep);
      if (skip(rel)) continue;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else if (st.isFile() || st.isSymbolicLink()) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Checksums of every file under `dir` except the manifest itself. */
export async function checksumTree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const rel of listFiles(dir, (r) => r === MANIFEST_FILE)) {
    const abs = join(dir, rel);
    files[rel] = lstatSync(abs).isSymbolicLink() ? `link:${readlinkSync(abs)}` : await sha256File(abs);
  }
  return files;
}

/** Pure comparison of expected and actual checksums: one line per difference. */
export function compareChecksums(
  expected: Readonly<Record<string, string>>,
  actual: Readonly<Record<string, string>>,
): string[] {
  const out: string[] = [];
  for (const [p, h] of Object.entries(expected)) {
    if (!(p in actual)) out.push(`missing: ${p}`);
    else if (actual[p] !== h) out.push(`checksum mismatch: ${p}`);
  }
  for (const p of Object.keys(actual)) if (!(p in expected)) out.push(`not in manifest: ${p}`);
  return out;
}

export function readManifest(dir: string): BundleManifest {
  const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as unknown;
  const problems = manifestProblems(m);
  if (problems.length > 0) throw new Error(`bad bundle manifest: ${problems.join('; ')}`);
  return m as BundleManifest;
}

/** Verifies a bundle folder against its manifest; returns the differences (none = intact). */
export async function verifyBundle(dir: string): Promise<string[]> {
  const m = readManifest(dir);
  return compareChecksums(m.files, await checksumTree(dir));
}
