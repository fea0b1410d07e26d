/**
 * A release bundle for provisioning tests: the real systemd folder and default config, a launcher
 * that prints its version (or fails, when `broken`) and a manifest with the files' checksums.
 */
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BundleManifest, checksumTree, MANIFEST_FILE } from '../../src/provision/manifest.ts';
import { ROOT } from './cli.ts';

export async function fakeBundle(dir: string, version: string, broken = false): Promise<string> {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'config'), { recursive: true });
  cpSync(join(ROOT, 'systemd'), join(dir, 'systemd'), { recursive: true });
  cpSync(join(ROOT, 'config/default.yaml'), join(dir, 'config/default.yaml'));
  writeFileSync(
    join(dir, 'bin/alpr'),
    broken ? '#!/bin/sh\necho "cannot load model" >&2\nexit 3\n' : `#!/bin/sh\necho ${version}\n`,
  );
  chmodSync(join(dir, 'bin/alpr'), 0o755);
  const m: BundleManifest = {
    format: 1,
    name: 'alpr-unit',
    version,
    commit: 'test',
    builtAt: new Date().toISOString(),
    node: { version: process.version, modules: process.versions.modules },
    platform: 'linux',
    arch: process.arch,
    files: await checksumTree(dir),
  };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m));
  return dir;
}
