/**
 * `alpr provision` on a temporary target root, with small hand-made bundles (a launcher script
 * instead of node) so that A/B switching, rollback and credentials are tested in seconds; the real
 * bundle is installed and run by provision-e2e.test.ts. openssl is real.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerProvisionCommand } from '../../src/commands/provision.ts';
import { loadConfig } from '../../src/config/load.ts';
import { inspectTarget, sealedUnit } from '../../src/provision/apply.ts';
import { provision, rollback } from '../../src/provision/index.ts';
import { LAYOUT } from '../../src/provision/plan.ts';
import { fakeBundle } from '../helpers/fake-bundle.ts';
import { makeCerts } from '../helpers/mosquitto.ts';

const REPO = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'alpr-provision-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A bundle in this test's folder whose launcher prints its version, or fails when `broken`. */
const bundle = (version: string, broken = false) =>
  fakeBundle(join(tmp, 'bundles', version), version, broken);

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('alpr provision onto a target root', () => {
  const root = join(tmp, 'root');
  const at = (p: string) => join(root, p);
  const { publicKey } = generateKeyPairSync('ed25519');
  const adminPem = join(tmp, 'admin1.pub');
  writeFileSync(adminPem, publicKey.export({ format: 'pem', type: 'spki' }));
  let storeKey: Buffer;

  it('a fresh unit: release, identity, key pair and CSR, credentials, enabled service', async () => {
    const r = await provision({
      bundle: await bundle('1.0.0'),
      root,
      unitId: 'car-0042',
      agency: 'metro-pd',
      mode: 'car',
      cameras: 'front:/dev/video0,rear:/dev/video2',
      adminKeys: [adminPem],
      csr: true,
    });
    expect(r).toMatchObject({ version: '1.0.0', previous: null, rolledBack: false, configWritten: true });
    expect(readlinkSync(at(LAYOUT.current))).toBe('releases/1.0.0');
    expect(existsSync(at(LAYOUT.previous))).toBe(false);

    const c = loadConfig(at(LAYOUT.config));
    expect(c.unit).toEqual({ id: 'car-0042', agency: 'metro-pd', mode: 'car' });
    expect(c.cameras.map((x) => x.type === 'v4l2' && x.url)).toEqual(['/dev/video0', '/dev/video2']);
    expect(c.hotlist.adminKeys[0]?.id).toBe('admin1');
    expect(Buffer.from(c.hotlist.adminKeys[0]!.publicKey, 'base64')).toHaveLength(32);

    const creds = at(LAYOUT.credentials);
    expect(mode(creds)).toBe('700');
    storeKey = readFileSync(join(creds, 'store.key'));
    expect(storeKey).toHaveLength(32);
    for (const f of ['store.key', 'unit.key', 'admin-keys/admin1.pub'])
      expect(mode(join(creds, f))).toBe('600');
    expect(mode(join(creds, 'admin-keys'))).toBe('700');
    const subject = execFileSync('openssl', ['req', '-in', at(LAYOUT.csr), '-noout', '-verify', '-subject'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(subject).toMatch(/CN\s*=\s*car-0042/);
    expect(subject).toMatch(/O\s*=\s*metro-pd/);

    expect(readFileSync(at(LAYOUT.unitFile), 'utf8')).toContain('Type=notify');
    expect(readlinkSync(at(LAYOUT.wants))).toBe('/etc/systemd/system/alpr.service');
    // `alpr` on PATH follows the current release.
    expect(readlinkSync(at(LAYOUT.bin))).toBe('/opt/alpr/current/bin/alpr');
    expect(existsSync(at(LAYOUT.sysusers))).toBe(true);
  });

  let certs: ReturnType<typeof makeCerts>;

  it('the certificate the CA issued for that request installs in place, with the same bundle', async () => {
    certs = makeCerts(join(tmp, 'pki'));
    const issued = join(tmp, 'issued.crt');
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        at(LAYOUT.csr),
        '-CA',
        certs.ca,
        '-CAkey',
        certs.caKey,
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        issued,
      ],
      { stdio: 'ignore' },
    );
    const unitKey = readFileSync(at(`${LAYOUT.credentials}/unit.key`));
    const r = await provision({ bundle: join(tmp, 'bundles', '1.0.0'), root, cert: issued, ca: certs.ca });
    expect(r).toMatchObject({ version: '1.0.0', inPlace: true, previous: null, rolledBack: false });
    expect(readFileSync(at(`${LAYOUT.credentials}/unit.crt`), 'utf8')).toBe(readFileSync(issued, 'utf8'));
    expect(readFileSync(at(`${LAYOUT.credentials}/unit.key`))).toEqual(unitKey);
    expect(inspectTarget(root)).toMatchObject({ current: '1.0.0', previous: null, releases: ['1.0.0'] });
    // A certificate for some other key is refused.
    await expect(
      provision({ bundle: join(tmp, 'bundles', '1.0.0'), root, cert: certs.client('car-0042').cert }),
    ).rejects.toThrow(/does not belong/);
  });

  it('an update with an issued certificate: side by side, previous kept, store key untouched', async () => {
    const client = certs.client('car-0042');
    const r = await provision({
      bundle: await bundle('1.1.0'),
      root,
      cert: client.cert,
      key: client.key,
      ca: certs.ca,
    });
    expect(r).toMatchObject({ version: '1.1.0', previous: '1.0.0', rolledBack: false, configWritten: false });
    expect(readlinkSync(at(LAYOUT.current))).toBe('releases/1.1.0');
    expect(readlinkSync(at(LAYOUT.previous))).toBe('releases/1.0.0');
    expect(readFileSync(at(`${LAYOUT.credentials}/store.key`))).toEqual(storeKey);
    expect(mode(at(`${LAYOUT.credentials}/unit.crt`))).toBe('600');
    expect(mode(at(`${LAYOUT.credentials}/ca.pem`))).toBe('600');
    // The config from the first provisioning is kept.
    expect(loadConfig(at(LAYOUT.config)).unit.id).toBe('car-0042');

    // A key that is not the certificate's: refused before anything is written.
    const unitKey = readFileSync(at(`${LAYOUT.credentials}/unit.key`));
    const before = inspectTarget(root);
    const other = certs.client('car-0099');
    await expect(
      provision({ bundle: await bundle('1.1.1'), root, cert: client.cert, key: other.key }),
    ).rejects.toThrow(/does not belong/);
    expect(readFileSync(at(`${LAYOUT.credentials}/unit.key`))).toEqual(unitKey);
    expect(inspectTarget(root)).toEqual(before);
  });

  it('a release that fails its post-install check is rolled back automatically', async () => {
    const before = inspectTarget(root);
    const r = await provision({ bundle: await bundle('2.0.0', true), root });
    expect(r.rolledBack).toBe(true);
    expect(r.failure).toMatch(/exit 3[\s\S]*cannot load model/);
    const after = inspectTarget(root);
    expect(after.current).toBe('1.1.0');
    expect(after.previous).toBe('1.0.0');
    expect(after.releases).not.toContain('2.0.0');
    expect(after.releases).toEqual(before.releases);
  });

  it('a good update prunes to two releases; --rollback switches back', async () => {
    await provision({ bundle: await bundle('2.0.1'), root });
    expect(inspectTarget(root)).toMatchObject({
      current: '2.0.1',
      previous: '1.1.0',
      releases: ['1.1.0', '2.0.1'],
    });
    expect(rollback(root)).toEqual(['2.0.1', '1.1.0']);
    expect(inspectTarget(root)).toMatchObject({ current: '1.1.0', previous: '2.0.1' });
    expect(readlinkSync(at(LAYOUT.current))).toBe('releases/1.1.0');
    expect(lstatSync(at(LAYOUT.current)).isSymbolicLink()).toBe(true);
  });

  it('refuses a bundle that does not match its manifest, before touching the target', async () => {
    const dir = await bundle('3.0.0');
    writeFileSync(join(dir, 'bin/alpr'), '#!/bin/sh\necho evil\n');
    const before = inspectTarget(root);
    await expect(provision({ bundle: dir, root })).rejects.toThrow(/checksum mismatch: bin\/alpr/);
    expect(inspectTarget(root)).toEqual(before);
  });

  it('the CLI: --rollback, and a clear message for a new unit without identity', async () => {
    const run = async (args: string[]) => {
      const program = new Command('alpr').exitOverride();
      registerProvisionCommand(program);
      let out = '';
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((s: string) => {
        out += s;
        return true;
      }) as typeof process.stdout.write;
      try {
        await program.parseAsync(['node', 'alpr', 'provision', ...args]);
      } finally {
        process.stdout.write = write;
      }
      return out;
    };
    expect(await run(['--root', root, '--rollback'])).toBe('rolled back: 1.1.0 -> 2.0.1\n');
    await expect(run(['--root', join(tmp, 'empty'), '--bundle', await bundle('4.0.0')])).rejects.toThrow(
      /needs --unit-id and --agency/,
    );
  });
});

describe('the unit file of a sealed unit', () => {
  it('turns LoadCredential= of each sealed key into LoadCredentialEncrypted=, and leaves the others', () => {
    const card = join(tmp, 'sealed-card');
    mkdirSync(join(card, LAYOUT.credentials), { recursive: true });
    writeFileSync(join(card, LAYOUT.credentials, 'store.key.cred'), 'sealed');
    const text = readFileSync(join(REPO, 'systemd/alpr.service'), 'utf8');
    const out = sealedUnit(text, card);
    expect(out).toMatch(/^LoadCredentialEncrypted=store\.key:\/etc\/alpr\/credentials\/store\.key\.cred$/m);
    expect(out).toMatch(/^LoadCredential=unit\.key:\/etc\/alpr\/credentials\/unit\.key$/m);
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(sealedUnit(text, join(tmp, 'empty-card'))).toBe(text);
  });
});
