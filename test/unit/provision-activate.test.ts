import { describe, expect, it } from 'vitest';
import { activate, activationCommands } from '../../src/provision/activate.ts';

describe('provision on the running unit: systemd takes the new files now', () => {
  it('runs sysusers, daemon-reload and the udev reload only for / on a systemd-booted system', () => {
    expect(activationCommands('/', true)).toEqual([
      ['systemd-sysusers', '/etc/sysusers.d/alpr.conf'],
      ['systemctl', 'daemon-reload'],
      ['udevadm', 'control', '--reload'],
    ]);
    expect(activationCommands('/mnt/card', true)).toEqual([]);
    expect(activationCommands('/mnt/card/..', true)).toEqual([]);
    expect(activationCommands('/', false)).toEqual([]);
  });

  it('tries every step and says which failed and why', () => {
    const ran: string[] = [];
    const steps = activate(
      '/',
      (c) => {
        ran.push(c[0]!);
        if (c[0] === 'udevadm') return { status: null, error: new Error('spawnSync udevadm ENOENT') };
        if (c[0] === 'systemd-sysusers') return { status: 1, stderr: 'warning\nCreating user alpr failed' };
        return { status: 0 };
      },
      true,
    );
    expect(ran).toEqual(['systemd-sysusers', 'systemctl', 'udevadm']);
    expect(steps.map((s) => s.problem)).toEqual([
      'exit 1: Creating user alpr failed',
      null,
      'spawnSync udevadm ENOENT',
    ]);
  });
});
