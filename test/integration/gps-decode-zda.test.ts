/** `alpr gps decode` on the log whose ZDA once crash-looped units: fixes, and the refusal counted. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const ROUTE = fileURLToPath(new URL('../../fixtures/gps/demo-route.nmea', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'alpr-gps-decode-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('alpr gps decode', () => {
  it('decodes a log holding a ZDA with a 7-digit year: same fixes as without it, one sentence rejected', () => {
    const route = readFileSync(ROUTE, 'latin1');
    const file = join(tmp, 'zda.nmea');
    writeFileSync(file, `$GPZDA,120000.00,01,01,3000000,00,00*56\r\n${route}`, 'latin1');
    const withZda = spawnSync(TSX, [CLI, 'gps', 'decode', file], { encoding: 'utf8', timeout: 30_000 });
    const plain = spawnSync(TSX, [CLI, 'gps', 'decode', ROUTE], { encoding: 'utf8', timeout: 30_000 });
    expect(withZda.status).toBe(0);
    expect(withZda.stdout.trim().split('\n').length).toBeGreaterThan(10);
    expect(withZda.stdout).toBe(plain.stdout);
    expect(withZda.stderr).toMatch(/rejected 1\n/);
  });
});
