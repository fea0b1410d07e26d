import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { keySealingWarnings } from '../config/secrets.ts';
import { isAlprError } from '../domain/errors.ts';
import { deepProblems } from './config-deep.ts';

/**
 * `alpr config check FILE [--deep]`: prints every problem with its path; exit 1 when there is any.
 * `--deep` also checks what the config names on this unit (files, keys, folders, devices, ports).
 */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Config file tools');
  config
    .command('check')
    .argument('<file>', 'YAML config file')
    .option('--deep', 'also check every file, key, folder, device and port the config names')
    .description(
      'Validate a config file and print every problem with its path (keys: docs/config.md); exit 1 when there is one',
    )
    .action(async (file: string, opts: { deep?: boolean }) => {
      let c: Readonly<Config>;
      try {
        c = loadConfig(file);
      } catch (err) {
        if (!isAlprError(err)) throw err;
        // The message names the file already.
        process.stdout.write(`${err.message}\n`);
        for (const d of err.details) process.stdout.write(`  ${d}\n`);
        process.exitCode = 1;
        return;
      }
      // Not a problem (a unit without a TPM may run so), but never quiet about it.
      for (const w of keySealingWarnings(c.paths.keySealing)) process.stdout.write(`!! WARNING: ${w}\n`);
      const problems = opts.deep ? await deepProblems(c) : [];
      if (problems.length === 0) {
        process.stdout.write(
          `${file}: OK${opts.deep ? ' (deep: every file, key, folder and port checked)' : ''}\n`,
        );
        return;
      }
      process.stdout.write(`${file}: ${problems.length} problem(s) on this unit\n`);
      for (const p of problems) process.stdout.write(`  ${p}\n`);
      process.exitCode = 1;
    });
}
