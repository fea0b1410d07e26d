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
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
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
