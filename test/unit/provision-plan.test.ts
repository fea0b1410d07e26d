import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigText } from '../../src/config/load.ts';
import { compareChecksums, manifestProblems } from '../../src/provision/manifest.ts';
import {
  type Action,
  adminKeyId,
  LAYOUT,
  parseCameras,
  planInstall,
  planPrune,
  planRestore,
  planRollback,
  renderConfig,
  type TargetState,
} from '../../src/provision/plan.ts';
import { foreignOrtDirs, foreignPrebuilds, isRuntimeAsset } from '../../scripts/build-bundle.ts';

const TEMPLATE = readFileSync(resolve(import.meta.dirname, '../../config/default.yaml'), 'utf8');
const FRESH: TargetState = { current: null, previous: null, releases: [], storeKey: false, unitKey: false };
const KEY = `${'A'.repeat(43)}=`;

describe('parseCameras', () => {
  it.each([
    ['front:/dev/video0', [{ id: 'front', device: '/dev/video0', orientation: 'front' }]],
    [
      'front:/dev/video0, rear:/dev/video2',
      [
        { id: 'front', device: '/dev/video0', orientation: 'front' },
        { id: 'rear', device: '/dev/video2', orientation: 'rear' },
      ],
    ],
    ['cab:/dev/video4:left', [{ id: 'cab', device: '/dev/video4', orientation: 'left' }]],
  ])('%s', (spec, want) => expect(parseCameras(spec)).toEqual(want));

  it.each([
    ['', /no cameras/],
    ['cab:/dev/video4', /orientation/],
    ['front', /expected id/],
    ['front:video0', /under \/dev/],
    ['front:/dev/video0:up', /orientation/],
    ['front:/dev/video0,front:/dev/video1', /twice/],
  ])('refuses %j', (spec, why) => expect(() => parseCameras(spec)).toThrow(why));
});

describe('renderConfig', () => {
  const identity = { unitId: 'car-0042', agency: 'metro-pd', mode: 'trailer' as const };

  it('writes the identity, cameras, broker and admin keys into a valid config', () => {
    const yaml = renderConfig({
      templateYaml: TEMPLATE,
      identity,
      cameras: parseCameras('front:/dev/video0,left:/dev/video4'),
      broker: 'mqtts://broker.metro.example:8883',
      adminKeys: [{ id: 'admin1', publicKey: KEY }],
    });
    const c = parseConfigText(yaml, '/etc/alpr');
    expect(c.unit).toEqual({ id: 'car-0042', agency: 'metro-pd', mode: 'trailer' });
    expect(c.cameras.map((x) => [x.id, x.type, x.orientation])).toEqual([
      ['front', 'v4l2', 'front'],
      ['left', 'v4l2', 'left'],
    ]);
    const front = parse(yaml).cameras[0];
    expect(front).toMatchObject({ url: '/dev/video0', width: 1280, height: 720, fps: 10 });
    expect(c.sync).toMatchObject({
      type: 'mqtt',
      url: 'mqtts://broker.metro.example:8883',
      certFile: 'unit.crt',
    });
    expect(c.hotlist.adminKeys).toEqual([{ id: 'admin1', publicKey: KEY }]);
    expect(yaml).toMatch(/^# Written by `alpr provision` for unit car-0042/);
  });

  it('keeps the template cameras and broker when none are given', () => {
    const c = parseConfigText(renderConfig({ templateYaml: TEMPLATE, identity, adminKeys: [] }), '/etc/alpr');
    expect(c.cameras.map((x) => x.id)).toEqual(['front', 'rear']);
  });

  it('refuses an identity the schema refuses, naming the path', () => {
    expect(() =>
      renderConfig({ templateYaml: TEMPLATE, identity: { ...identity, unitId: 'car 42' }, adminKeys: [] }),
    ).toThrow(/unit\.id/);
    expect(() =>
      renderConfig({ templateYaml: TEMPLATE, identity, broker: 'http://x', adminKeys: [] }),
    ).toThrow(/sync\.url/);
  });
});

const ops = (a: Action[]) => a.map((x) => `${x.op} ${'path' in x ? x.path : 'to' in x ? x.to : ''}`.trim());

describe('planInstall', () => {
  const base = {
    bundleDir: '/media/bundle',
    version: '0.2.0+abc',
    configYaml: 'version: 1\n',
    identity: { unitId: 'u1', agency: 'pd', mode: 'car' as const },
    adminKeys: [{ id: 'admin1', publicKey: KEY }],
  };

  it('a fresh unit: release, credentials (0700/0600), key and CSR, units, wants link, switch', () => {
    const plan = planInstall({ ...base, state: FRESH, cert: { kind: 'csr' } });
    expect(plan[1]).toEqual({ op: 'copyTree', from: '/media/bundle', to: `${LAYOUT.releases}/0.2.0+abc` });
    expect(plan).toContainEqual({ op: 'mkdir', path: LAYOUT.credentials, mode: 0o700 });
    expect(plan).toContainEqual({
      op: 'randomKey',
      path: `${LAYOUT.credentials}/store.key`,
      bytes: 32,
      mode: 0o600,
    });
    expect(plan).toContainEqual({
      op: 'keyAndCsr',
      key: `${LAYOUT.credentials}/unit.key`,
      csr: LAYOUT.csr,
      subject: '/O=pd/CN=u1',
    });
    expect(plan).toContainEqual({
      op: 'write',
      path: `${LAYOUT.adminKeys}/admin1.pub`,
      content: `${KEY}\n`,
      mode: 0o600,
    });
    expect(plan).toContainEqual({ op: 'symlink', path: LAYOUT.wants, target: `/${LAYOUT.unitFile}` });
    expect(plan).toContainEqual({ op: 'symlink', path: LAYOUT.bin, target: '/opt/alpr/current/bin/alpr' });
    // The switch is last: nothing points at a half-installed release.
    expect(plan.at(-1)).toEqual({ op: 'symlink', path: LAYOUT.current, target: 'releases/0.2.0+abc' });
    expect(ops(plan)).not.toContain(`symlink ${LAYOUT.previous}`);
  });

  it('--tpm: the keys are made, then sealed, before the unit file is written; --no-tpm: no seal', () => {
    const plan = planInstall({ ...base, state: FRESH, cert: { kind: 'csr' }, keySealing: 'tpm2' });
    const at = (op: string) => plan.findIndex((a) => a.op === op);
    expect(plan).toContainEqual({ op: 'seal', names: ['store.key', 'unit.key'] });
    expect(at('seal')).toBeGreaterThan(at('randomKey'));
    expect(at('seal')).toBeGreaterThan(at('keyAndCsr'));
    // The unit file names the sealed files: it is written after they exist.
    expect(at('unitFile')).toBeGreaterThan(at('seal'));
    const plain = planInstall({ ...base, state: FRESH, cert: { kind: 'csr' }, keySealing: 'none' });
    expect(plain.some((a) => a.op === 'seal')).toBe(false);
  });

  it('a sealed unit: no new store key, and --no-tpm is refused', () => {
    const sealed = { ...FRESH, storeKey: true, unitKey: true, sealed: true };
    const plan = planInstall({ ...base, state: sealed, cert: null, keySealing: 'tpm2' });
    expect(plan.some((a) => a.op === 'randomKey')).toBe(false);
    expect(() => planInstall({ ...base, state: sealed, cert: null, keySealing: 'none' })).toThrow(
      /sealed to its TPM: --no-tpm cannot unseal/,
    );
  });

  it('renderConfig writes paths.keySealing, and says so in the header when keys are not sealed', () => {
    const input = { templateYaml: TEMPLATE, identity: base.identity, adminKeys: [] };
    const tpm = renderConfig({ ...input, keySealing: 'tpm2' });
    expect(parseConfigText(tpm, '/').paths.keySealing).toBe('tpm2');
    expect(tpm).not.toMatch(/KEYS NOT SEALED/);
    const none = renderConfig({ ...input, keySealing: 'none' });
    expect(parseConfigText(none, '/').paths.keySealing).toBe('none');
    expect(none).toMatch(/^# KEYS NOT SEALED/m);
  });

  it('an update keeps the store key, makes previous the old current, installs a given certificate', () => {
    const state: TargetState = {
      current: '0.1.0',
      previous: '0.0.9',
      releases: ['0.0.9', '0.1.0'],
      storeKey: true,
      unitKey: true,
    };
    const plan = planInstall({
      ...base,
      state,
      cert: { kind: 'install', cert: '/tmp/u.crt', key: '/tmp/u.key', ca: '/tmp/ca.pem' },
    });
    expect(ops(plan).some((o) => o.startsWith('randomKey'))).toBe(false);
    expect(plan[0]).toEqual({ op: 'checkCertKey', cert: '/tmp/u.crt', key: '/tmp/u.key' });
    expect(plan).toContainEqual({
      op: 'copyFile',
      from: '/tmp/ca.pem',
      to: `${LAYOUT.credentials}/ca.pem`,
      mode: 0o600,
    });
    expect(plan.slice(-2)).toEqual([
      { op: 'symlink', path: LAYOUT.previous, target: 'releases/0.1.0' },
      { op: 'symlink', path: LAYOUT.current, target: 'releases/0.2.0+abc' },
    ]);
    // Nothing is pruned before the post-install check has passed.
    expect(ops(plan).filter((o) => o.startsWith('remove'))).toEqual([]);
  });

  it('the current release again: identity and credentials only, no copy, no switch', () => {
    const cur: TargetState = {
      ...FRESH,
      current: '0.2.0+abc',
      releases: ['0.2.0+abc'],
      storeKey: true,
      unitKey: true,
    };
    const plan = planInstall({ ...base, state: cur, cert: { kind: 'install', cert: '/tmp/u.crt' } });
    expect(plan[0]).toEqual({
      op: 'checkCertKey',
      cert: '/tmp/u.crt',
      key: `${LAYOUT.credentials}/unit.key`,
    });
    const o = ops(plan);
    expect(o.some((x) => x.startsWith('copyTree') || x.startsWith('remove'))).toBe(false);
    expect(o).not.toContain(`symlink ${LAYOUT.current}`);
    expect(o).toContain(`copyFile ${LAYOUT.credentials}/unit.crt`);
    expect(o).not.toContain(`copyFile ${LAYOUT.credentials}/unit.key`);
    expect(o).toContain(`write ${LAYOUT.config}`);
  });

  it('a certificate without its key needs the unit key provisioning made', () => {
    expect(() =>
      planInstall({ ...base, state: FRESH, cert: { kind: 'install', cert: '/tmp/u.crt' } }),
    ).toThrow(/no key yet/);
  });

  it('replaces a leftover folder of the same version', () => {
    const left: TargetState = { ...FRESH, current: '0.1.0', releases: ['0.1.0', '0.2.0+abc'] };
    expect(ops(planInstall({ ...base, state: left, cert: null }))).toContain(
      `remove ${LAYOUT.releases}/0.2.0+abc`,
    );
  });

  it('without identity keeps the config (configYaml null)', () => {
    const plan = planInstall({ ...base, configYaml: null, state: { ...FRESH, storeKey: true }, cert: null });
    expect(ops(plan)).not.toContain(`write ${LAYOUT.config}`);
  });
});

describe('prune, restore, rollback', () => {
  const after: TargetState = {
    current: 'c',
    previous: 'b',
    releases: ['a', 'b', 'c'],
    storeKey: true,
    unitKey: true,
  };

  it('prune keeps current and previous only', () => {
    expect(planPrune(after)).toEqual([{ op: 'remove', path: `${LAYOUT.releases}/a` }]);
  });

  it('restore puts back the links as they were and removes the failed release', () => {
    const before: TargetState = { ...after, current: 'b', previous: 'a' };
    const plan = planRestore(before, 'c');
    expect(plan).toContainEqual({ op: 'symlink', path: LAYOUT.current, target: 'releases/b' });
    expect(plan).toContainEqual({ op: 'symlink', path: LAYOUT.previous, target: 'releases/a' });
    expect(plan).toContainEqual({
      op: 'unitFile',
      from: `${LAYOUT.releases}/b/systemd/alpr.service`,
      to: LAYOUT.unitFile,
    });
    expect(plan.at(-1)).toEqual({ op: 'remove', path: `${LAYOUT.releases}/c` });
  });

  it('restore on a fresh unit leaves the service disabled', () => {
    expect(ops(planRestore(FRESH, 'c'))).toEqual([
      `remove ${LAYOUT.wants}`,
      `remove ${LAYOUT.bin}`,
      `remove ${LAYOUT.current}`,
      `remove ${LAYOUT.previous}`,
      `remove ${LAYOUT.releases}/c`,
    ]);
  });

  it('rollback swaps current and previous', () => {
    const plan = planRollback(after);
    expect(plan.slice(-2)).toEqual([
      { op: 'symlink', path: LAYOUT.previous, target: 'releases/c' },
      { op: 'symlink', path: LAYOUT.current, target: 'releases/b' },
    ]);
    expect(() => planRollback({ ...after, previous: null })).toThrow(/no previous/);
    expect(() => planRollback({ ...after, releases: ['c'] })).toThrow(/missing/);
  });
});

describe('manifest and bundle helpers', () => {
  const h = 'a'.repeat(64);
  it.each([
    [{ format: 1, version: '0.1.0+abc', commit: 'x', files: { 'bin/alpr': h } }, []],
    [{ format: 2, version: '0.1.0', commit: 'x', files: { a: h } }, ['unsupported manifest format 2']],
    [
      { format: 1, version: '../x', commit: 'x', files: { a: h } },
      ['version must be 1-64 of A-Z a-z 0-9 . + _ -'],
    ],
    [{ format: 1, version: '1', commit: 'x', files: { '../etc/passwd': h } }, ['unsafe path ../etc/passwd']],
    [{ format: 1, version: '1', commit: 'x', files: { a: 'nope' } }, ['bad checksum for a']],
    [{ format: 1, version: '1', commit: 'x', files: {} }, ['files missing']],
  ])('manifestProblems %#', (m, want) => expect(manifestProblems(m)).toEqual(want));

  it('compareChecksums names missing, changed and extra files', () => {
    expect(compareChecksums({ a: '1', b: '2', c: '3' }, { a: '1', b: 'X', d: '4' })).toEqual([
      'checksum mismatch: b',
      'missing: c',
      'not in manifest: d',
    ]);
  });

  it('strips other platforms’ binaries only', () => {
    expect(foreignOrtDirs(['linux/x64', 'linux/arm64', 'darwin/arm64', 'win32/x64'], 'linux', 'x64')).toEqual(
      ['linux/arm64', 'darwin/arm64', 'win32/x64'],
    );
    expect(foreignPrebuilds(['linux-x64', 'linux-arm64', 'win32-x64'], 'linux', 'arm64')).toEqual([
      'linux-x64',
      'win32-x64',
    ]);
  });

  it.each([
    ['web/public/index.html', true],
    ['web/public/app.js', true],
    ['web/http.ts', false],
    ['sync/PROTOCOL.md', false],
    ['web/screenshots/hit.png', false],
  ])('runtime asset %s: %s', (rel, want) => expect(isRuntimeAsset(rel)).toBe(want));

  it('admin key ids come from file names', () => {
    expect(adminKeyId('/keys/admin1.pub')).toBe('admin1');
    expect(adminKeyId('ops.lead.pem')).toBe('ops.lead');
    expect(() => adminKeyId('/k/bad name.pub')).toThrow(/not valid/);
  });
});
