/**
 * The pinned Node.js runtime (runtime/package.json): one version everywhere it is named, the
 * engines range and the type definitions agree with it, the bundle ships it and the unit runs it,
 * and (under scripts/test.sh, which sets ALPR_EXPECT_NODE) the suite itself runs on it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_NODE, LAUNCHER, pinnedRuntime, runtimePackage } from '../../scripts/build-bundle.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const json = (rel: string) => JSON.parse(readFileSync(resolve(ROOT, rel), 'utf8'));
const pkg = json('package.json');
const runtimePkg = json('runtime/package.json');
const runtimeLock = json('runtime/package-lock.json');
const pinned = pinnedRuntime().version;
const major = (v: string) => Number(/^v?(\d+)\./.exec(v)?.[1]);

describe('the pinned runtime', () => {
  it('is one exact version for every architecture, in package.json and the lock', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    for (const arch of ['x64', 'arm64']) {
      const name = runtimePackage(arch);
      expect(runtimePkg.optionalDependencies[name], name).toBe(pinned);
      expect(runtimeLock.packages[`node_modules/${name}`]?.version, name).toBe(pinned);
      expect(runtimeLock.packages[`node_modules/${name}`]?.integrity, name).toMatch(/^sha512-/);
    }
  });

  it('is Node.js 24, within the engines range, with matching type definitions', () => {
    expect(major(pinned)).toBe(24);
    expect(pkg.engines.node).toBe(`>=${major(pinned)} <${major(pinned) + 1}`);
    expect(major(pkg.devDependencies['@types/node'].replace(/^\^/, ''))).toBe(major(pinned));
  });

  it('is what the launcher and the systemd unit run', () => {
    expect(LAUNCHER).toContain(`$here/${BUNDLED_NODE}`);
    const unit = readFileSync(resolve(ROOT, 'systemd/alpr.service'), 'utf8');
    expect(unit).toMatch(
      new RegExp(`^ExecStart=/opt/alpr/current/${BUNDLED_NODE} /opt/alpr/current/dist/cli\\.js `, 'm'),
    );
  });

  // scripts/test.sh sets ALPR_EXPECT_NODE to the pinned version; a bare `npx vitest` runs on
  // whatever node is on PATH and skips this.
  it.skipIf(!process.env.ALPR_EXPECT_NODE)(
    'runs this suite (ALPR_EXPECT_NODE set by scripts/test.sh)',
    () => {
      expect(process.versions.node).toBe(process.env.ALPR_EXPECT_NODE);
      expect(process.versions.node).toBe(pinned);
      expect(major(process.version)).toBe(24);
    },
  );
});
