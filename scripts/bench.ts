/**
 * `npm run bench [-- name…]`: every benchmark of the unit, printing figures and ratios against
 * targets. Figures, not pass/fail: speed is measured here, never asserted by timed unit tests.
 */
import { loadBenches } from './bench/registry.ts';

const benches = await loadBenches();
const names = new Set(benches.map((b) => b.name));
const wanted = process.argv.slice(2).filter((a) => names.has(a));
// --json: one line of figures per bench, nothing else
const json = process.argv.includes('--json');
let failed = 0;
for (const b of benches) {
  if (wanted.length ? !wanted.includes(b.name) : b.onlyWhenNamed) {
    if (!wanted.length) process.stdout.write(`\n== ${b.name}: skipped (long; npm run bench -- ${b.name})\n`);
    continue;
  }
  if (!json) process.stdout.write(`\n== ${b.name}: ${b.what}\n`);
  const t0 = performance.now();
  try {
    const figures = await b.run();
    if (json) {
      process.stdout.write(`${JSON.stringify({ bench: b.name, ...figures })}\n`);
      continue;
    }
    for (const [k, v] of Object.entries(figures)) {
      process.stdout.write(`  ${k.padEnd(44)} ${typeof v === 'number' ? fmt(v) : v}\n`);
    }
  } catch (err) {
    failed++;
    process.stdout.write(`  FAILED: ${(err as Error).message}\n`);
  }
  process.stdout.write(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}
process.exitCode = failed ? 1 : 0;

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
