/** Command-line options of the benchmarks (`npm run bench -- NAME --opt value`). */

/** The value after `name` (e.g. `--config`) on the command line, or undefined when absent. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
