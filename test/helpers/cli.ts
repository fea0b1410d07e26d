import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Runs the real `alpr` CLI from the checkout (node + tsx), as `npm run alpr --` does. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the real `alpr` CLI in the background (stdout and stderr piped), e.g. `alpr run`. */
export function spawnCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT,
    stdio: 'pipe',
    env: { ...process.env, ...opts.env },
  });
}

/**
 * `alpr run --config FILE` in the background with plates kept out of its logs, its output
 * collected as it comes; `stop` sends SIGTERM and gives the exit code, `kill` ends it whatever it
 * is doing (for an afterAll after a failed hook).
 */
export function runDaemon(config: string) {
  const child = spawnCli(['run', '--config', config], { env: { ALPR_LOG_PLATES: '0' } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  return {
    child,
    out,
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
