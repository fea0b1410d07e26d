/**
 * A non-critical stage that cannot start must not stop plate reading. The case seen in the field:
 * a credentials folder without `ca.crt` made `alpr run` exit 3 ("unknown failed to start"), because
 * the server link's certificate was read while wiring the roster and hot-list subscribers. Now the
 * daemon runs on the demo frames, reads every plate, raises the hit, and shows the server light red
 * with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { DEMO_HOT, DEMO_PLATES, writeDemoUnit } from '../helpers/demo.ts';

describe('alpr run with a credentials folder lacking ca.crt', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-isolation-'));
  const data = join(tmp, 'data');
  let stdout = '';
  let stderr = '';
  let exitedEarly: number | null = null;
  let code: number | null = null;
  let reads = 0;

  const countReads = () => {
    try {
      const db = new Database(join(data, 'reads.sqlite'), { readonly: true, fileMustExist: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM reads').get() as { n: number }).n;
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  };

  beforeAll(async () => {
    // The store key is there; the server link's CA, certificate and key are not.
    const { config } = writeDemoUnit(tmp, {
      unit: 'iso-0001',
      agency: 'iso-pd',
      sync: "{ type: mqtt, url: 'mqtts://127.0.0.1:1', caFile: ca.crt, certFile: client.crt, keyFile: client.key }",
    });
    const child = spawnCli(['run', '--config', config], { env: { ALPR_LOG_PLATES: '0' } });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (c) => {
      exitedEarly ??= c;
    });
    // 12 frames at 1 fps, then the last track leaves.
    const deadline = Date.now() + 75_000;
    while (Date.now() < deadline && exitedEarly === null && reads < DEMO_PLATES.length) {
      await new Promise((r) => setTimeout(r, 500));
      reads = countReads();
    }
    const early = exitedEarly;
    if (early === null) {
      const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      child.kill('SIGTERM');
      code = await exit;
    } else {
      code = early;
    }
    if (code !== 0) console.error(stderr);
  }, 100_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('keeps running until told to stop, then exits 0', () => {
    expect(stderr).not.toMatch(/failed to start: cannot read secret/);
    expect(code).toBe(0);
  });

  it('reads every demo plate and raises the hit', () => {
    expect(reads).toBe(DEMO_PLATES.length);
    const hitLines = stdout.split('\n').filter((l) => l.startsWith('*** CONFIRMED HIT'));
    expect(hitLines).toHaveLength(1);
    expect(hitLines[0]).toContain(DEMO_HOT);
  });

  it('shows the server light red with the missing file as the reason', () => {
    const red = logs().filter(
      (l) => l.msg === 'health changed' && l.light === 'red' && String(l.component).startsWith('server'),
    );
    expect(red.length).toBeGreaterThan(0);
    expect(red.map((l) => l.reason).join('\n')).toMatch(/cannot read secret "ca\.crt"/);
    const started = logs().find((l) => l.msg === 'daemon started');
    // The link failed; the hot-list and roster subscribers, which ride on its one connection,
    // started and wait for it.
    expect(started?.failed).toEqual(['sync']);
  });
});
