/**
 * The generated docs are up to date with the code (run `npx tsx scripts/make-docs.ts` when this
 * fails), every config key has a meaning, and the README keeps its promises to newcomers.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docsOutputs, EXIT_END, EXIT_START, withExitCodes } from '../../scripts/make-docs.ts';
import { configReference, referenceSections, undocumentedKeys } from '../../src/config/reference.ts';
import { configSchema } from '../../src/config/schema.ts';
import { EXIT_CODE_TABLE, ExitCodes } from '../../src/exit-codes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('generated docs', () => {
  it.each(docsOutputs().map((o) => [o.path, o.content] as const))('%s is up to date', (path, content) => {
    expect(
      readFileSync(join(ROOT, path), 'utf8') === content,
      `${path} is behind: npx tsx scripts/make-docs.ts`,
    ).toBe(true);
  });

  it('the config reference names every key of the schema with a meaning', () => {
    expect(undocumentedKeys()).toEqual([]);
    const keys = new Set(referenceSections().flatMap((s) => s.rows.map((r) => r.key)));
    for (const section of Object.keys(configSchema.shape)) expect(keys).toContain(section);
    // a few deep keys, from each kind of branch
    for (const k of [
      'gps.startAtFix',
      'cameras[].url',
      'cameras[].masks[].w',
      'sync.url',
      'alerts.realertMinutes',
    ])
      expect(keys, k).toContain(k);
    const ref = configReference();
    expect(ref).toMatch(/\| `alerts\.realertMinutes` \| number 0–1440 \| `10` \| /);
    expect(ref).toMatch(/\| `unit\.id` \| text \| \*\*required\*\* \| /);
  });

  it('a stale block is rewritten, and a README without the markers is refused', () => {
    const stale = `intro\n${EXIT_START}\n| old |\n${EXIT_END}\nrest\n`;
    const fresh = withExitCodes(stale);
    expect(fresh).not.toContain('| old |');
    expect(fresh.startsWith('intro\n')).toBe(true);
    expect(fresh.endsWith(`${EXIT_END}\nrest\n`)).toBe(true);
    expect(() => withExitCodes('no markers')).toThrow(/markers/);
  });

  it('the exit-code table covers every code the CLI uses', () => {
    const codes = new Set(EXIT_CODE_TABLE.map((r) => r.code));
    for (const c of Object.values(ExitCodes)) expect(codes).toContain(c);
    const block = readme.slice(readme.indexOf(EXIT_START), readme.indexOf(EXIT_END));
    for (const r of EXIT_CODE_TABLE) expect(block).toContain(`| ${r.code} | ${r.commands} |`);
  });
});

describe('README', () => {
  it('keeps the two commands first', () => {
    const first = readme.indexOf('```sh');
    const block = readme.slice(first, readme.indexOf('```', first + 5));
    expect(block).toContain('bash scripts/demo.sh');
    expect(block).toContain('bash scripts/test.sh');
    expect(first).toBeLessThan(1500);
  });

  it('links a guide for every user, and each exists', () => {
    for (const page of [
      'docs/officer.md',
      'docs/technician.md',
      'docs/admin.md',
      'docs/developer.md',
      'docs/config.md',
    ]) {
      expect(readme).toContain(`(${page})`);
      expect(readFileSync(join(ROOT, page), 'utf8').length).toBeGreaterThan(500);
    }
  });

  it('speaks of the software, not of how it was made', () => {
    // Talk of tickets, work periods, evaluation splits and the build host, spelled with classes so
    // that this file does not itself say what the docs must not.
    const workTalk = /\biss[u]e #?\d+|\bsess[i]on\b|held-[o]ut|th[i]s machine|shared 2-c[o]re/i;
    const docs = ['README.md', 'docs/officer.md', 'docs/technician.md', 'docs/admin.md', 'docs/developer.md'];
    for (const d of docs) {
      const text = readFileSync(join(ROOT, d), 'utf8');
      expect(text, d).not.toMatch(workTalk);
    }
  });
});
