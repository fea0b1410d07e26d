/**
 * One daemon per data folder: a second `alpr run` on the same folder exits 3 naming the first;
 * a pid file left by a daemon that is gone, or naming another program, is taken over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimDataDir, OWNER_FILE } from '../../src/store/owner.ts';
import { spawnCli } from '../helpers/cli.ts';
import { writeDemoUnit } from '../helpers/demo.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-owner-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A live process whose command line names the CLI, as the daemon's does. */
function fakeDaemon(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'cli.ts', 'run'], {
    stdio: 'ignore',
  });
}

describe('the data folder has one owner', () => {
  it('refuses while a live daemon holds it, takes it over once that one is gone', async () => {
    const dir = join(tmp, 'a');
    mkdirSync(dir);
    const other = fakeDaemon();
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(dir, OWNER_FILE), `${other.pid}\n`);
    expect(() => claimDataDir(dir)).toThrow(`in use by another alpr daemon (pid ${other.pid})`);
    const gone = new Promise((r) => other.once('exit', r));
    other.kill('SIGKILL');
    await gone;
    const release = claimDataDir(dir);
    expect(readFileSync(join(dir, OWNER_FILE), 'utf8')).toBe(`${process.pid}\n`);
    release();
    expect(existsSync(join(dir, OWNER_FILE))).toBe(false);
  });

  it('takes over a pid file naming another program (a reboot gave its pid away)', async () => {
    const dir = join(tmp, 'b');
    mkdirSync(dir);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, OWNER_FILE), `${sleeper.pid}\n`);
      claimDataDir(dir)();
    } finally {
      sleeper.kill();
    }
  });

  it('a second alpr run on the same data folder exits 3 naming the first', { timeout: 90_000 }, async () => {
    const { config, data } = writeDemoUnit(tmp, {
      unit: 'own-0001',
      agency: 'own-pd',
      sync: '{ type: none }',
    });
    const first = spawnCli(['run', '--config', config]);
    let out = '';
    first.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      const end = Date.now() + 60_000;
      while (!out.includes('"daemon started"') && Date.now() < end)
        await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('"daemon started"');
      const second = spawnCli(['run', '--config', config]);
      let err = '';
      second.stdout.on('data', (d: Buffer) => {
        err += d.toString();
      });
      second.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const code = await new Promise<number | null>((r) => second.on('exit', (c) => r(c)));
      expect(code).toBe(3);
      expect(err).toContain(`in use by another alpr daemon (pid ${first.pid})`);
      // the first runs on, still the owner
      expect(first.exitCode).toBeNull();
      expect(readFileSync(join(data, OWNER_FILE), 'utf8')).toBe(`${first.pid}\n`);
    } finally {
      const gone = new Promise((r) => first.once('exit', r));
      first.kill('SIGTERM');
      await gone;
    }
    expect(existsSync(join(data, OWNER_FILE))).toBe(false);
  });
});
