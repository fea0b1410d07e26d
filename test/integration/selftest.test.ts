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
    expect(by.model?.result).toBe('pass');
    expect(by.model?.detail).toMatch(/^read (a plate|\d plates) in \d+ ms \(budget 20000 ms\)/);
    expect(by['camera front']?.result).toBe('pass');
    expect(by['camera rear']).toMatchObject({ result: 'fail', detail: 'no frame within 2 s' });
    expect(r.versions.model).toMatch(/\S/);
    expect(r.passed).toBe(false);
  }, 60_000);

  it('an invalid config fails at once, naming the problem', async () => {
    const file = config('bad.yaml', 'version: 1\nunit: { id: "bad id", agency: x }\ncameras: []\n');
    const r = await runSelftest({ config: file, budgetMs: 1000, cameraTimeoutS: 1, log });
    expect(r.passed).toBe(false);
    expect(r.checks).toHaveLength(1);
    expect(r.checks[0]).toMatchObject({ name: 'config', result: 'fail' });
    expect(r.checks[0]?.detail).toContain('unit.id');
  });
});
