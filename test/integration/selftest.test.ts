import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSelftest } from '../../src/commands/selftest.ts';
import { createLogger } from '../../src/core/log.ts';

const root = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'alpr-selftest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const log = createLogger({ level: 'silent' });

/** NMEA sentence with its checksum. */
function nmea(body: string): string {
  let x = 0;
  for (const ch of body) x ^= ch.charCodeAt(0);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** A short drive with a fix from the first second, made here (not copied from shared data). */
function route(file: string): string {
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) {
    const t = `1200${String(i).padStart(2, '0')}.00`;
    lines.push(nmea(`GPRMC,${t},A,3834.5456,N,12128.7310,W,10.0,90.0,010626,,,A`));
    lines.push(nmea(`GPGGA,${t},3834.5456,N,12128.7310,W,1,08,0.9,10.0,M,-20.0,M,,`));
  }
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

function config(name: string, body: string): string {
  const p = join(tmp, name);
  writeFileSync(p, body);
  return p;
}

describe('alpr selftest (real onnxruntime, file cameras)', () => {
  it('passes the model on the reference image; a camera without frames fails the test', async () => {
    mkdirSync(join(tmp, 'empty'));
    const file = config(
      'unit.yaml',
      [
        'version: 1',
        'unit: { id: bench-7, agency: test-pd }',
        `paths: { dataDir: ${join(tmp, 'data')} }`,
        'cameras:',
        `  - { id: front, type: file, orientation: front, path: ${join(root, 'fixtures/demo/frames')}, fps: 5 }`,
        `  - { id: rear, type: file, orientation: rear, path: ${join(tmp, 'empty')}, fps: 5 }`,
        'recognize: { threads: 1 }',
        `gps: { type: replay, path: ${route(join(tmp, 'route.nmea'))}, speed: 20 }`,
        '',
      ].join('\n'),
    );
    const r = await runSelftest({ config: file, budgetMs: 20_000, cameraTimeoutS: 2, log });
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(r.unit).toBe('bench-7');
    expect(by.config?.result).toBe('pass');
    expect(by.disk?.result).not.toBe('fail');
    expect(by.disk?.detail).toContain(`(at ${tmp})`);
    expect(by.clock?.result).toBe('pass');
    // No paths.keySealing in the config: keys are plain files, the report says so (amber).
    expect(by.keys?.result).toBe('warn');
    expect(by.keys?.detail).toMatch(/^KEYS NOT SEALED \(paths\.keySealing: none\)/);
    expect(by.model?.result).toBe('pass');
    expect(by.model?.detail).toMatch(/^read (a plate|\d plates) in \d+ ms \(budget 20000 ms\)/);
    expect(by['camera front']?.result).toBe('pass');
    expect(by['camera rear']).toMatchObject({ result: 'fail', detail: 'no frame within 2 s' });
    expect(by.gps?.result).toBe('pass');
    expect(by.gps?.detail).toMatch(/^fix after \d+\.\d s \(gps, 8 satellites\)$/);
    // A replayed log's time says nothing about the system clock.
    expect(by['clock vs GPS']).toBeUndefined();
    expect(r.versions.model).toMatch(/\S/);
    expect(r.passed).toBe(false);
  }, 60_000);

  it('fails a model that cannot load, no cameras and a GPS without a fix', async () => {
    writeFileSync(join(tmp, 'nofix.nmea'), `${nmea('GPGGA,120000.00,,,,,0,00,99.99,,,,,,')}\r\n`);
    const file = config(
      'broken.yaml',
      [
        'version: 1',
        'unit: { id: bench-8, agency: test-pd }',
        `paths: { dataDir: ${tmp} }`,
        'cameras: []',
        `recognize: { detModel: ${join(tmp, 'missing.onnx')} }`,
        `gps: { type: replay, path: ${join(tmp, 'nofix.nmea')}, speed: 10 }`,
        '',
      ].join('\n'),
    );
    const r = await runSelftest({ config: file, budgetMs: 1000, cameraTimeoutS: 1, gpsTimeoutS: 1, log });
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(by.model?.result).toBe('fail');
    expect(by.model?.detail).toMatch(/^cannot load: /);
    expect(by.cameras).toMatchObject({ result: 'fail', detail: 'no cameras configured' });
    expect(by.gps).toMatchObject({ result: 'fail', detail: 'no fix within 1 s' });
    expect(by.disk?.detail).not.toContain('(at ');
    expect(r.passed).toBe(false);
  }, 30_000);

  it('an invalid config fails at once, naming the problem', async () => {
    const file = config('bad.yaml', 'version: 1\nunit: { id: "bad id", agency: x }\ncameras: []\n');
    const r = await runSelftest({ config: file, budgetMs: 1000, cameraTimeoutS: 1, log });
    expect(r.passed).toBe(false);
    expect(r.checks).toHaveLength(1);
    expect(r.checks[0]).toMatchObject({ name: 'config', result: 'fail' });
    expect(r.checks[0]?.detail).toContain('unit.id');
  });
});
