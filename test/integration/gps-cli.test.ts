/** `alpr gps monitor` and `alpr gps decode` as a technician runs them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatOffset, monitorConfig } from '../../src/commands/gps.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const ROUTE = fileURLToPath(new URL('../../fixtures/gps/demo-route.nmea', import.meta.url));
const alpr = (...args: string[]) => spawnSync(TSX, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('alpr gps', () => {
  it('monitor shows the light going from amber to green on the demo route, exit 0 when green', () => {
    const r = alpr('gps', 'monitor', '--replay', ROUTE, '--speed', '10', '--seconds', '3');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^\[AMBER\] GPS receiver sends data but has no fix yet/);
    expect(lines.at(-1)).toMatch(
      /^\[GREEN\] GPS fix \(gps, \d+ satellites, HDOP [\d.]+\) \| position 38\.\d{6},-121\.\d{6}/,
    );
    expect(lines.at(-1)).toMatch(/utc 2026-05-14T17:3\d:\d\d\.000Z/);
  });

  it('decode into a reader that stops early (`| head`) stops quietly, exit 0, no stack trace', () => {
    // the route 30 times: far more fixes than a pipe holds, so the decoder is still writing
    const big = join(mkdtempSync(join(tmpdir(), 'alpr-gps-epipe-')), 'long.nmea');
    writeFileSync(big, readFileSync(ROUTE, 'latin1').repeat(30), 'latin1');
    const r = spawnSync(
      'bash',
      ['-c', `"${TSX}" "${CLI}" gps decode "${big}" | head -n 2; echo "rc=\${PIPESTATUS[0]}" >&2`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toContain('rc=0');
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.ts:\d+/);
    rmSync(dirname(big), { recursive: true, force: true });
  });

  it('monitor on a missing device is red and exits 1', () => {
    const r = alpr('gps', 'monitor', '--device', '/dev/nonexistent-gps', '--seconds', '1');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\[RED\] cannot open GPS receiver at \/dev\/nonexistent-gps/);
  });

  it('monitor wants exactly one source', () => {
    expect(() => monitorConfig({})).toThrow(/exactly one of --config, --device, --gpsd, --replay/);
    expect(() => monitorConfig({ device: '/dev/ttyUSB0', replay: ROUTE })).toThrow(/exactly one/);
    expect(monitorConfig({ gpsd: 'gpsbox:3000' })).toMatchObject({
      type: 'gpsd',
      host: 'gpsbox',
      port: 3000,
    });
    expect(monitorConfig({ device: '/dev/ttyACM0', baud: '4800' })).toMatchObject({
      type: 'serial',
      baud: 4800,
    });
    expect(() => monitorConfig({ device: '/dev/ttyACM0', baud: '1234' })).toThrow(/bad GPS options/);
  });

  it.each([
    [null, '-'],
    [-250, '-0.3 s'],
    [7_500_000, '+2 h 5 min'],
    [619_315_200_000, '+7168 d'],
  ])('formats the clock offset %s as %s', (ms, want) => expect(formatOffset(ms)).toBe(want));
});
