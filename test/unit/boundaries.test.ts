import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boundaryViolations, importsOf } from '../helpers/boundaries.ts';

describe('stage import boundaries', () => {
  it('src/ has no stage importing another stage, and domain imports nothing of ours', () => {
    expect(boundaryViolations(resolve(import.meta.dirname, '../../src'))).toEqual([]);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'alpr-bound-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('catches a cross-stage import, a dynamic one and a domain import of a stage', () => {
    for (const d of ['gps', 'hotlist', 'domain', 'core']) mkdirSync(join(tmp, d, 'sub'), { recursive: true });
    writeFileSync(
      join(tmp, 'gps', 'ok.ts'),
      "import { x } from '../domain/types.ts';\nimport '../core/bus.ts';\n",
    );
    writeFileSync(join(tmp, 'gps', 'sub', 'bad.ts'), "import type { H } from '../../hotlist/index.ts';\n");
    writeFileSync(join(tmp, 'hotlist', 'dyn.ts'), "const m = await import('../gps/index.ts');\n");
    writeFileSync(join(tmp, 'domain', 'leak.ts'), "export { Bus } from '../core/bus.ts';\n");
    const v = boundaryViolations(tmp);
    expect(v).toHaveLength(3);
    expect(v.some((s) => s.startsWith('stage gps → stage hotlist'))).toBe(true);
    expect(v.some((s) => s.startsWith('stage hotlist → stage gps'))).toBe(true);
    expect(v.some((s) => s.startsWith('domain → core'))).toBe(true);
  });

  it('reads import specifiers of every form', () => {
    const text = `import a from './a.ts';\nimport { b,\n c } from "../b.ts";\nexport * from './c.ts';\nimport './d.ts';\nawait import('./e.ts');\nimport x from 'pino';`;
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts']);
  });
});
