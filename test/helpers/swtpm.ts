/**
 * A software TPM (swtpm, Debian's `swtpm`) for the tests: one per "unit", each with its own state
 * folder, so a credential sealed on one cannot open on another. systemd-creds reaches it through
 * `SYSTEMD_TPM2_DEVICE=swtpm:port=N` (the TSS swtpm TCTI), tpm2-tools through `TPM2TOOLS_TCTI`.
 *
 * No kernel resource manager sits between the tools and swtpm (that is /dev/tpmrm0 on a unit), so
 * sessions a tool leaves loaded stay loaded; `flush()` does what the resource manager does when a
 * client closes its handle. Call it before each step that talks to the TPM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

const TOOLS = ['swtpm', 'systemd-creds', 'tpm2_flushcontext', 'tpm2_getrandom'];

/** The missing programs (empty when a software TPM can be run here). */
export function missingTpmTools(): string[] {
  return TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
}

export interface SoftTpm {
  /** For SYSTEMD_TPM2_DEVICE. */
  device: string;
  env: Record<string, string>;
  flush(): void;
  stop(): Promise<void>;
}

/** Starts a fresh software TPM 2.0 (new state folder: a new chip) and waits until it answers. */
export async function startSoftTpm(): Promise<SoftTpm> {
  const state = mkdtempSync(join(tmpdir(), 'alpr-swtpm-'));
  // Test files run side by side: another's swtpm may take a port between freePort and the spawn.
  // A start that fails is stopped and tried again on other ports.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(2);
    const proc = spawnSwtpm(state, port);
    const device = `swtpm:host=127.0.0.1,port=${port}`;
    const env = { SYSTEMD_TPM2_DEVICE: device, TPM2TOOLS_TCTI: device };
    if (await answers(proc, env)) return softTpm(proc, state, device, env);
    if (proc.exitCode === null) proc.kill('SIGKILL');
    if (attempt === 3) throw new Error(`swtpm on port ${port} did not start`);
  }
}

function spawnSwtpm(state: string, port: number): ChildProcess {
  return spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${state}`,
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: 'ignore' },
  );
}

/** Whether the TPM answers within 10 s (false at once when swtpm exits). */
async function answers(proc: ChildProcess, env: Record<string, string>): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (spawnSync('tpm2_getrandom', ['4'], { env: { ...process.env, ...env } }).status !== 0) {
    if (Date.now() > deadline || proc.exitCode !== null) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function softTpm(proc: ChildProcess, state: string, device: string, env: Record<string, string>): SoftTpm {
  return {
    device,
    env,
    flush() {
      for (const kind of ['-l', '-t'])
        spawnSync('tpm2_flushcontext', [kind], { env: { ...process.env, ...env } });
    },
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}
