/**
 * Assembles the project's WebAssembly kernels (src/recognize/*.wat) with wabt and writes each as a
 * TypeScript module holding its bytes (src/recognize/<name>-wasm.ts), so the runtime needs neither
 * wabt nor a file beside the build. `--check` writes nothing and exits 1 when a written module
 * differs from what its source assembles to.
 *
 *   npx tsx scripts/build-wasm.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import wabt from 'wabt';

const DIR = resolve(import.meta.dirname, '../src/recognize');
const KERNELS = ['resample'];

/** The bytes a kernel's source assembles to (SIMD enabled). */
export async function assemble(name: string): Promise<Uint8Array> {
  const w = await wabt();
  const wat = readFileSync(join(DIR, `${name}.wat`), 'utf8');
  const mod = w.parseWat(`${name}.wat`, wat, { simd: true });
  try {
    mod.validate();
    return mod.toBinary({ log: false }).buffer;
  } finally {
    mod.destroy();
  }
}

/** The TypeScript module that carries a kernel's bytes. */
export function moduleText(name: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,96}/g) ?? [];
  return [
    `/** ${name}.wat assembled by scripts/build-wasm.ts (generated: edit the .wat and rebuild). */`,
    `export const ${name.toUpperCase()}_WASM = Buffer.from(`,
    ...lines.map((l, i) => `${i === 0 ? '  ' : '    '}'${l}'${i < lines.length - 1 ? ' +' : ','}`),
    `  'base64',`,
    ');',
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const name of KERNELS) {
    const file = join(DIR, `${name}-wasm.ts`);
    const text = moduleText(name, await assemble(name));
    if (check) {
      let old = '';
      try {
        old = readFileSync(file, 'utf8');
      } catch {}
      if (old !== text) {
        console.error(`${file} is not what ${name}.wat assembles to: run npx tsx scripts/build-wasm.ts`);
        stale++;
      }
    } else writeFileSync(file, text);
  }
  process.exit(stale ? 1 : 0);
}
