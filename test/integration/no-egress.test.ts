/**
 * onnxruntime-node's telemetry: left on, it writes a device id under $HOME/.cache/Microsoft and
 * sends events to Microsoft. The `alpr` entry point turns it off in code, so these runs clear
 * ORT_DISABLE_TELEMETRY from their environment and give the model an empty HOME to write into.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-egress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh empty HOME, and the environment of a run that sets nothing about telemetry itself. */
function emptyHome(name: string): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(join(tmp, `${name}-`));
  return { home, env: { HOME: home, XDG_CACHE_HOME: undefined, ORT_DISABLE_TELEMETRY: undefined } };
}

describe('no egress: onnxruntime writes nothing under HOME', () => {
  it('`alpr selftest` loads and runs the model without a trace in HOME', () => {
    const { home, env } = emptyHome('selftest');
    const config = join(tmp, 'unit.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'unit: { id: u1, agency: pd }',
        `paths: { dataDir: ${JSON.stringify(join(tmp, 'data'))} }`,
        'cameras: []',
        'gps: { type: none }',
        '',
      ].join('\n'),
    );
    const r = runCli(['selftest', '-c', config, '--json'], { env, timeoutMs: 120_000 });
    const report = JSON.parse(r.stdout) as { checks: { name: string; result: string }[] };
    // The model really ran (the self-test fails only for want of cameras here).
    expect(report.checks.find((c) => c.name === 'model')?.result).toBe('pass');
    expect(existsSync(join(home, '.cache', 'Microsoft'))).toBe(false);
    expect(readdirSync(home)).toEqual([]);
  });

  it('the recognizer on a worker thread (the daemon default) leaves no trace in HOME either', () => {
    const { home, env } = emptyHome('worker');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'test/support/ort-home-child.ts')],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toContain('7ABC123');
    expect(readdirSync(home)).toEqual([]);
  });
});
