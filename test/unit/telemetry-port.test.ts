import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { telemetrySection } from '../../src/config/sections/telemetry.ts';
import { summariseSelftest, telemetryPort } from '../../src/telemetry-port.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-telemetry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('summariseSelftest', () => {
  it.each([
    [null, null],
    ['not json', null],
    ['{"at": 5, "passed": true}', null],
    [
      '{"at": "2026-11-24T00:00:00Z", "passed": true, "checks": []}',
      { at: '2026-11-24T00:00:00Z', passed: true, failed: [] },
    ],
    [
      '{"at": "t", "passed": false, "checks": [{"name":"gps","result":"fail"},{"name":"disk","result":"warn"},{"name":"model","result":"fail"}]}',
      { at: 't', passed: false, failed: ['gps', 'model'] },
    ],
  ])('%j', (text, want) => expect(summariseSelftest(text)).toEqual(want));
});

describe('telemetryPort (root helper)', () => {
  it('fills the heartbeat from the sources', async () => {
    const temp = join(tmp, 'temp');
    writeFileSync(temp, '48500\n');
    const selftest = join(tmp, 'selftest-last.json');
    writeFileSync(
      selftest,
      JSON.stringify({ at: 'then', passed: true, checks: [{ name: 'model', result: 'pass' }] }),
    );
    let listener: (() => void) | null = null;
    const port = telemetryPort({
      health: {
        body: () => ({
          status: 'green',
          phase: 'running',
          lights: { cameras: { light: 'green', reasons: ['ok'] } },
        }),
        onChange: (fn) => {
          listener = fn;
          return () => {
            listener = null;
          };
        },
      },
      cameras: () => [{ id: 'front', fpsIn: 9.5, light: 'green' }],
      hotlists: () => [{ name: 'SVS', version: 7, entries: 3, appliedAt: 1000 }],
      versions: () => ({ software: '0.1.0', model: 'm' }),
      dataDir: tmp,
      temperaturePath: temp,
      selftestFile: selftest,
      startedAt: 1_000,
      now: () => 61_000,
    });
    expect(port.health()).toEqual({
      status: 'green',
      phase: 'running',
      lights: { cameras: { light: 'green', reasons: ['ok'] } },
    });
    let called = 0;
    const off = port.onHealthChange(() => called++);
    (listener as (() => void) | null)?.();
    off();
    expect(called).toBe(1);
    expect(listener).toBeNull();
    const hb = await port.heartbeat();
    expect(hb).toMatchObject({
      versions: { software: '0.1.0', model: 'm' },
      hotlists: [{ list: 'SVS', version: 7, entries: 3, appliedAt: 1000 }],
      uptimeS: 60,
      cameras: [{ id: 'front', fps: 9.5, light: 'green' }],
      cpuTempC: 48.5,
      lastSelftest: { at: 'then', passed: true, failed: [] },
    });
    expect(hb.diskFreeMb).toBeGreaterThan(0);
  });

  it('section defaults and bounds', () => {
    expect(telemetrySection.parse({})).toEqual({
      healthIntervalS: 60,
      heartbeatIntervalS: 300,
      selftestFile: 'selftest-last.json',
    });
    expect(telemetrySection.safeParse({ healthIntervalS: 1 }).success).toBe(false);
    expect(telemetrySection.safeParse({ selftestFile: '../x' }).success).toBe(false);
    expect(telemetrySection.safeParse({ extra: 1 }).success).toBe(false);
  });
});
