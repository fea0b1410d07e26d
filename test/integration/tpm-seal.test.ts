/**
 * Keys sealed to the unit's TPM, on real software TPMs (swtpm): `alpr provision --tpm` seals the
 * store key and the unit key with systemd-creds on "unit A"; they open on unit A only. The same
 * card in "unit B" (another swtpm state: another chip) cannot open them: the daemon refuses to
 * start with ALPR_E_KEY_UNSEAL and a message for the technician, and never opens a database.
 * Skips, saying what it needs, without swtpm, systemd-creds or tpm2-tools.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerProvisionCommand } from '../../src/commands/provision.ts';
import { loadConfig } from '../../src/config/load.ts';
import { sealCredential, unsealCredential } from '../../src/config/sealed.ts';
import { ROOT, runCli, spawnCli } from '../helpers/cli.ts';
import { fakeBundle } from '../helpers/fake-bundle.ts';
import { missingTpmTools, type SoftTpm, startSoftTpm } from '../helpers/swtpm.ts';

const missing = missingTpmTools();
if (missing.length > 0)
  console.warn(
    `tpm-seal: skipped: needs ${missing.join(', ')} (Debian: swtpm swtpm-tools tpm2-tools systemd)`,
  );

/** Runs `fn` with systemd-creds pointed at `tpm` (its sessions flushed first). */
function on<T>(tpm: SoftTpm, fn: () => T): T {
  tpm.flush();
  const before = process.env.SYSTEMD_TPM2_DEVICE;
  process.env.SYSTEMD_TPM2_DEVICE = tpm.device;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.SYSTEMD_TPM2_DEVICE;
    else process.env.SYSTEMD_TPM2_DEVICE = before;
  }
}

async function onAsync<T>(tpm: SoftTpm, fn: () => Promise<T>): Promise<T> {
  tpm.flush();
  process.env.SYSTEMD_TPM2_DEVICE = tpm.device;
  try {
    return await fn();
  } finally {
    delete process.env.SYSTEMD_TPM2_DEVICE;
  }
}

async function provisionCli(args: string[]): Promise<string> {
  const program = new Command('alpr').exitOverride();
  registerProvisionCommand(program);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'alpr', 'provision', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out.join('');
}

/** Every file under `dir` (recursively). */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : e.isFile() ? [p] : [];
  });
}

describe.skipIf(missing.length > 0)('keys sealed to the unit TPM (swtpm)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-tpm-'));
  const root = join(tmp, 'card');
  const creds = join(root, 'etc/alpr/credentials');
  let a: SoftTpm;
  let b: SoftTpm;
  let provisionOut = '';

  beforeAll(async () => {
    [a, b] = await Promise.all([startSoftTpm(), startSoftTpm()]);
    const bundle = await fakeBundle(join(tmp, 'bundle'), '1.0.0');
    provisionOut = await onAsync(a, () =>
      provisionCli([
        '--bundle',
        bundle,
        '--root',
        root,
        '--unit-id',
        'unit-0042',
        '--agency',
        'example-pd',
        '--csr',
        '--tpm',
        '--no-check',
      ]),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a credential sealed on unit A opens on A only; on B a coded error says why', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const sealed = on(a, () => sealCredential(secret, 'store.key'));
    const file = join(tmp, 'x.cred');
    writeFileSync(file, sealed);
    expect(sealed.includes(secret)).toBe(false);
    expect(on(a, () => unsealCredential(file, 'store.key'))).toEqual(secret);
    expect(() => on(b, () => unsealCredential(file, 'store.key'))).toThrow(
      expect.objectContaining({
        code: 'ALPR_E_KEY_UNSEAL',
        message: expect.stringMatching(/sealed to a TPM this unit does not have.*another unit/),
      }),
    );
    // Sealed for one name, it is not accepted as another key.
    expect(() => on(a, () => unsealCredential(file, 'unit.key'))).toThrow(
      expect.objectContaining({ code: 'ALPR_E_KEY_UNSEAL' }),
    );
  });

  it('provision --tpm leaves only sealed keys on the card and a unit that unseals them', () => {
    expect(provisionOut).toMatch(/keys sealed to the unit's own TPM/);
    // provisioned into a folder, not on the unit itself: the technician is told what that means
    expect(provisionOut).toContain(`WARNING: keys sealed to THIS machine's TPM, into ${root}`);
    for (const k of ['store.key', 'unit.key']) {
      expect(existsSync(join(creds, k))).toBe(false);
      expect(statSync(join(creds, `${k}.cred`)).mode & 0o777).toBe(0o600);
    }
    const unit = readFileSync(join(root, 'etc/systemd/system/alpr.service'), 'utf8');
    expect(unit).toMatch(/^LoadCredentialEncrypted=store\.key:\/etc\/alpr\/credentials\/store\.key\.cred$/m);
    expect(unit).toMatch(/^LoadCredentialEncrypted=unit\.key:\/etc\/alpr\/credentials\/unit\.key\.cred$/m);
    expect(unit).toMatch(/^LoadCredential=ca\.pem:\/etc\/alpr\/credentials\/ca\.pem$/m);
    expect(unit).not.toMatch(/^LoadCredential=(store|unit)\.key:/m);
    expect(loadConfig(join(root, 'etc/alpr/config.yaml')).paths.keySealing).toBe('tpm2');

    // The keys open on unit A; their bytes are nowhere on the card.
    const storeKey = on(a, () => unsealCredential(join(creds, 'store.key.cred'), 'store.key'));
    const unitKey = on(a, () => unsealCredential(join(creds, 'unit.key.cred'), 'unit.key'));
    expect(storeKey).toHaveLength(32);
    const keyBody = unitKey
      .toString('utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'));
    for (const f of files(root)) {
      const bytes = readFileSync(f);
      expect(bytes.includes(storeKey), f).toBe(false);
      for (const line of keyBody) expect(bytes.includes(Buffer.from(line)), f).toBe(false);
    }
    // The certificate request was made from the sealed key.
    const csrPub = execFileSync(
      'openssl',
      ['req', '-in', join(root, 'etc/alpr/unit.csr'), '-noout', '-pubkey'],
      {
        encoding: 'utf8',
      },
    );
    const keyPub = execFileSync('openssl', ['pkey', '-pubout'], { input: unitKey, encoding: 'utf8' });
    expect(csrPub.trim()).toBe(keyPub.trim());
  });

  /** A config for `alpr run` on this card's credentials, with its own data folder. */
  function unitConfig(name: string): { config: string; data: string } {
    const data = join(tmp, `data-${name}`);
    mkdirSync(data);
    const config = join(tmp, `${name}.yaml`);
    writeFileSync(
      config,
      `version: 1
unit: { id: unit-0042, agency: example-pd, mode: car }
paths: { dataDir: ${data}, credentialsDir: ${creds}, keySealing: tpm2 }
cameras:
  - { id: front, type: file, orientation: front, path: ${join(ROOT, 'fixtures/demo/frames')}, fps: 1, loop: true }
gps: { type: replay, path: ${join(ROOT, 'fixtures/gps/demo-route.nmea')}, speed: 4, loop: true }
hotlist: { seedCsv: [{ list: LOCAL, path: ${join(ROOT, 'fixtures/demo/hotlist.csv')} }] }
health: { http: { port: 0 } }
web: { port: 0 }
`,
    );
    return { config, data };
  }

  async function run(tpm: SoftTpm, config: string, untilLog: RegExp | null) {
    tpm.flush();
    const child = spawnCli(['run', '--config', config], { env: { SYSTEMD_TPM2_DEVICE: tpm.device } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const deadline = Date.now() + 90_000;
    while (untilLog && !untilLog.test(out) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode === null && untilLog) child.kill('SIGTERM');
    return { code: await exit, out };
  }

  it('the card in another unit: the daemon refuses to start and opens no database', async () => {
    const { config, data } = unitConfig('b');
    const { code, out } = await run(b, config, null);
    expect(code).toBe(3);
    expect(out).toMatch(/ALPR_E_KEY_UNSEAL/);
    expect(out).toMatch(/sealed to a TPM this unit does not have/);
    expect(readdirSync(data).filter((f) => f.endsWith('.sqlite'))).toEqual([]);
    const check = runCli(['config', 'check', '--deep', config], { env: { SYSTEMD_TPM2_DEVICE: b.device } });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/store\.keyFile: "store\.key" is sealed to a TPM this unit does not have/);
  }, 120_000);

  it('on its own unit the daemon unseals the keys and opens the store, with no unsealed-key warning', async () => {
    const { config, data } = unitConfig('a');
    const check = runCli(['config', 'check', '--deep', config], { env: { SYSTEMD_TPM2_DEVICE: a.device } });
    expect(check.stdout).not.toMatch(/store\.keyFile|KEYS NOT SEALED/);
    const { code, out } = await run(a, config, /"msg":"daemon started"/);
    expect(out).toMatch(/"msg":"store open"/);
    expect(out).not.toMatch(/KEYS NOT SEALED|ALPR_E_KEY_UNSEAL/);
    expect(code).toBe(0);
    expect(existsSync(join(data, 'reads.sqlite'))).toBe(true);
  }, 120_000);

  it('a config that says keys are not sealed is warned about loudly', () => {
    const config = join(tmp, 'plain.yaml');
    writeFileSync(config, 'version: 1\nunit: { id: u-1, agency: a-pd }\npaths: { keySealing: none }\n');
    const r = runCli(['config', 'check', config]);
    expect(r.stdout).toMatch(/!! WARNING: KEYS NOT SEALED \(paths\.keySealing: none\)/);
  });
});

describe('provision --tpm where no TPM answers', () => {
  it('fails, naming --no-tpm, and leaves no plain key, request, sealed copy or config behind', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'alpr-notpm-'));
    const root = join(tmp, 'card');
    const bundle = await fakeBundle(join(tmp, 'bundle'), '1.0.0');
    const before = process.env.SYSTEMD_TPM2_DEVICE;
    // a TPM device nothing answers on (the workbench without one)
    process.env.SYSTEMD_TPM2_DEVICE = 'swtpm:port=1';
    try {
      await expect(
        provisionCli([
          ...['--bundle', bundle, '--root', root, '--unit-id', 'unit-0043', '--agency', 'example-pd'],
          ...['--csr', '--tpm', '--no-check'],
        ]),
      ).rejects.toThrow(/cannot seal|TPM/);
    } finally {
      if (before === undefined) delete process.env.SYSTEMD_TPM2_DEVICE;
      else process.env.SYSTEMD_TPM2_DEVICE = before;
    }
    const creds = join(root, 'etc/alpr/credentials');
    for (const f of ['store.key', 'unit.key', 'store.key.cred', 'unit.key.cred'])
      expect(existsSync(join(creds, f)), f).toBe(false);
    expect(existsSync(join(root, 'etc/alpr/unit.csr'))).toBe(false);
    expect(existsSync(join(root, 'etc/alpr/config.yaml'))).toBe(false);
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);
});
