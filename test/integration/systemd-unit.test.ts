import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const unitDir = resolve(import.meta.dirname, '../../systemd');
const unitText = readFileSync(join(unitDir, 'alpr.service'), 'utf8');

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const analyze = has('systemd-analyze');
if (!analyze)
  console.warn('systemd unit checks skipped: systemd-analyze is missing (apt-get install systemd)');

/** Every `Key=value` of the [Service] and [Unit] sections; repeated keys keep all values. */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'alpr-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the unit with ExecStart pointed at /bin/true (verify wants the binary to exist). */
function verifiable(text: string, name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const p = join(dir, 'alpr.service');
  writeFileSync(p, text.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'));
  return p;
}

function verify(path: string): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('systemd/alpr.service content', () => {
  const d = directives(unitText);
  it.each([
    ['Type', 'notify'],
    ['NotifyAccess', 'main'],
    ['Restart', 'on-failure'],
    ['User', 'alpr'],
    ['SupplementaryGroups', 'video dialout'],
    ['StateDirectory', 'alpr'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['NoNewPrivileges', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'],
    ['LimitCORE', '0'],
    // a leak gets the daemon restarted before the car's computer swaps (README "memory soak")
    ['MemoryHigh', '1G'],
    ['MemoryMax', '1536M'],
    ['DevicePolicy', 'closed'],
    ['MemoryDenyWriteExecute', 'no'],
    // The release's own Node.js (the bundle's node/bin/node), not whichever node is on PATH.
    [
      'ExecStart',
      '/opt/alpr/current/node/bin/node /opt/alpr/current/dist/cli.js run --config /etc/alpr/config.yaml',
    ],
    // No egress but loopback (and the broker, through a drop-in); onnxruntime's telemetry off.
    ['Environment', 'ORT_DISABLE_TELEMETRY=1'],
    ['IPAddressDeny', 'any'],
    ['IPAddressAllow', 'localhost'],
  ])('%s=%s', (key, value) => {
    expect(d.get(key)).toContain(value);
  });

  it('leaves /etc/alpr read-only (no ConfigurationDirectory=, which would mount it writable)', () => {
    expect(d.get('ConfigurationDirectory')).toBeUndefined();
  });

  it('has a watchdog, start limits, the store key and TLS credentials, video and serial devices', () => {
    expect(Number(d.get('WatchdogSec')?.[0])).toBeGreaterThan(0);
    expect(d.get('StartLimitIntervalSec')).toHaveLength(1);
    expect(d.get('StartLimitBurst')).toHaveLength(1);
    const creds = (d.get('LoadCredential') ?? []).map((c) => c.split(':')[0]);
    expect(creds).toEqual(['store.key', 'ca.pem', 'unit.crt', 'unit.key']);
    expect(d.get('DeviceAllow')).toContain('char-video4linux rw');
    expect(d.get('DeviceAllow')).toContain('char-ttyUSB rw');
    expect(d.get('SystemCallFilter')).toContain('@system-service');
  });
});

/**
 * Device classes the unit allows, and where their major number comes from. A class a module
 * registers must have that module loaded before the unit starts (Wants= and After= on
 * modprobe@<module>.service), else DeviceAllow= cannot resolve it and a device plugged in later is
 * refused until a restart. A class not in this table fails the test until someone decides.
 */
const DEVICE_CLASSES: Record<string, { module: string } | { builtIn: string }> = {
  video4linux: { module: 'videodev' },
  ttyUSB: { module: 'usbserial' },
  ttyACM: { module: 'cdc_acm' },
  ttyS: { builtIn: '8250 UART driver, built into distribution and board kernels' },
  ttyAMA: { builtIn: 'PL011 UART of ARM boards, built in' },
};

describe('systemd/alpr.service: hot-plugged cameras and receivers, /dev/shm, /etc/alpr', () => {
  const d = directives(unitText);
  const list = (key: string) => (d.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const classes = (d.get('DeviceAllow') ?? [])
    .map((v) => /^char-(\S+) /.exec(v)?.[1])
    .filter(Boolean) as string[];

  it('allows cameras and serial receivers by class', () => {
    expect(classes).toEqual(expect.arrayContaining(['video4linux', 'ttyUSB', 'ttyACM']));
  });

  it.each(classes)('char-%s: its major is registered before the unit starts', (cls) => {
    const src = DEVICE_CLASSES[cls];
    expect(src, `device class ${cls}: add it to DEVICE_CLASSES (module or built in)`).toBeDefined();
    if (src && 'module' in src) {
      expect(list('Wants')).toContain(`modprobe@${src.module}.service`);
      expect(list('After')).toContain(`modprobe@${src.module}.service`);
    }
  });

  it('loads no module it does not need', () => {
    const wanted = list('Wants').filter((u) => u.startsWith('modprobe@'));
    const needed = classes.flatMap((c) => {
      const src = DEVICE_CLASSES[c];
      return src && 'module' in src ? [`modprobe@${src.module}.service`] : [];
    });
    expect(new Set(wanted)).toEqual(new Set(needed));
  });

  it('the module names are the kernel’s (where this kernel ships modules.dep)', () => {
    const dir = `/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`;
    let known = '';
    try {
      known = `${readFileSync(`${dir}/modules.dep`, 'utf8')}\n${readFileSync(`${dir}/modules.builtin`, 'utf8')}`;
    } catch {
      console.warn(`module names not checked: no ${dir}/modules.dep here`);
      return;
    }
    for (const src of Object.values(DEVICE_CLASSES)) {
      if (!('module' in src)) continue;
      const file = src.module.replaceAll('_', '[-_]');
      expect(known, src.module).toMatch(new RegExp(`/${file}\\.ko`));
    }
  });

  it('no shared memory with the host: private IPC, no /dev/shm', () => {
    expect(d.get('PrivateIPC')).toEqual(['yes']);
    expect(list('InaccessiblePaths')).toContain('-/dev/shm');
    expect(d.get('RemoveIPC')).toEqual(['yes']);
  });

  it('/etc/alpr read-only on its own, whatever ProtectSystem= a drop-in sets', () => {
    expect(list('ReadOnlyPaths')).toContain('/etc/alpr');
    expect(list('ReadWritePaths').filter((p) => p.replace(/^-/, '').startsWith('/etc'))).toEqual([]);
  });
});

describe.skipIf(!analyze)('systemd-analyze', () => {
  it('verify prints nothing for the unit (any warning fails)', () => {
    const r = verify(verifiable(unitText, 'ok'));
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify would catch a mistake (an unknown directive)', () => {
    const r = verify(verifiable(unitText.replace('WatchdogSec=', 'WatchdogSecs='), 'bad'));
    expect(r.output).toMatch(/Unknown key '?WatchdogSecs'?/);
  });

  it('security --offline=yes: exposure below 2.0', () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', verifiable(unitText, 'sec')], {
      encoding: 'utf8',
    });
    const m = /Overall exposure level for alpr\.service: ([\d.]+)/.exec(out);
    expect(m).not.toBeNull();
    const score = Number(m![1]);
    console.log(`systemd-analyze security: alpr.service exposure ${score}`);
    expect(score).toBeLessThan(2.0);
  });
});

describe.skipIf(!has('systemd-sysusers'))('systemd/alpr.sysusers.conf', () => {
  it('creates the alpr user in the video and dialout groups', () => {
    const root = join(tmp, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    execFileSync('systemd-sysusers', [`--root=${root}`, join(unitDir, 'alpr.sysusers.conf')], {
      stdio: 'pipe',
    });
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(
      /^alpr:x:\d+:\d+:ALPR daemon:\/var\/lib\/alpr:/m,
    );
    const groups = readFileSync(join(root, 'etc/group'), 'utf8');
    expect(groups).toMatch(/^video:x:\d+:alpr$/m);
    expect(groups).toMatch(/^dialout:x:\d+:alpr$/m);
  });
});
