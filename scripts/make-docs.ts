/**
 * Writes the generated parts of the docs: docs/config.md (every config key, from the schema) and
 * the exit-code table in README.md (from src/exit-codes.ts, between its markers).
 * test/unit/docs.test.ts fails when either is behind the code.
 *
 *   npx tsx scripts/make-docs.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configReference } from '../src/config/reference.ts';
import { exitCodesTable } from '../src/exit-codes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EXIT_START = '<!-- exit codes: generated from src/exit-codes.ts by scripts/make-docs.ts -->';
export const EXIT_END = '<!-- end of exit codes -->';

/** README.md with its exit-code block replaced (the markers must be there). */
export function withExitCodes(readme: string): string {
  const a = readme.indexOf(EXIT_START);
  const b = readme.indexOf(EXIT_END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${EXIT_START} … ${EXIT_END}`);
  return `${readme.slice(0, a + EXIT_START.length)}\n${exitCodesTable()}\n${readme.slice(b)}`;
}

/** Every generated file: its path under the root and the content it must have. */
export function docsOutputs(root = ROOT): { path: string; content: string }[] {
  return [
    { path: 'docs/config.md', content: configReference() },
    { path: 'README.md', content: withExitCodes(readFileSync(join(root, 'README.md'), 'utf8')) },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const o of docsOutputs()) {
    writeFileSync(join(ROOT, o.path), o.content);
    process.stdout.write(`wrote ${o.path}\n`);
  }
}
