import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const STAGES = [
  'capture',
  'recognize',
  'track',
  'gps',
  'hotlist',
  'store',
  'sync',
  'alerts',
  'health',
  'web',
];

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|js|mts)$/.test(name)) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

/** Relative import specifiers in a source text (static, re-exports, dynamic, side-effect). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
}

/** The top folder under src/ that a file lives in, or '' for files directly in src/. */
function topFolder(srcDir: string, file: string): string {
  const rel = relative(srcDir, file).split(sep);
  return rel.length > 1 ? rel[0]! : '';
}

/**
 * Every import that breaks the house rules: a stage importing another stage, or src/domain
 * importing anything of ours outside src/domain.
 */
export function boundaryViolations(srcDir: string): string[] {
  const out: string[] = [];
  for (const file of walk(srcDir)) {
    const from = topFolder(srcDir, file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const to = topFolder(srcDir, target);
      const where = `${relative(srcDir, file)} imports ${spec}`;
      if (STAGES.includes(from) && STAGES.includes(to) && from !== to)
        out.push(`stage ${from} → stage ${to}: ${where}`);
      if (from === 'domain' && to !== 'domain') out.push(`domain → ${to || 'src'}: ${where}`);
    }
  }
  return out;
}
