/**
 * After `alpr provision --root /` on a running unit: what systemd would otherwise only pick up at
 * the next boot. The service user is made (systemd-sysusers), the unit files reloaded (a changed
 * alpr.service is used by the next start) and the LED rule loaded (udevadm). Only where the root
 * is this system's own and systemd runs it (/run/systemd/system exists, as sd_booted(3) checks);
 * onto a mounted card nothing runs: its systemd does all of it at boot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ActivateStep {
  command: string[];
  /** null when it ran and exited 0, else why not. */
  problem: string | null;
}

export type Runner = (command: string[]) => { status: number | null; error?: Error; stderr?: string };

const run: Runner = (command) => {
  const r = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, ...(r.error ? { error: r.error } : {}), stderr: r.stderr };
};

/** The commands for a root, or none when it is not this running system's. */
export function activationCommands(root: string, booted: boolean): string[][] {
  if (resolve(root) !== '/' || !booted) return [];
  return [
    ['systemd-sysusers', '/etc/sysusers.d/alpr.conf'],
    ['systemctl', 'daemon-reload'],
    ['udevadm', 'control', '--reload'],
  ];
}

/** Runs them in order; every step is tried, and each says whether it worked. */
export function activate(
  root: string,
  runner: Runner = run,
  booted: boolean = existsSync('/run/systemd/system'),
): ActivateStep[] {
  return activationCommands(root, booted).map((command) => {
    const r = runner(command);
    const problem = r.error
      ? r.error.message
      : r.status === 0
        ? null
        : `exit ${r.status}${r.stderr ? `: ${r.stderr.trim().split('\n').at(-1)}` : ''}`;
    return { command, problem };
  });
}
