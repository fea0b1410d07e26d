import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { isAlprError } from '../domain/errors.ts';

/** `alpr config check FILE`: prints every problem with its path; exit 1 when there is any. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Config file tools');
  config
    .command('check')
    .argument('<file>', 'YAML config file')
    .description('Validate a config file and print every problem')
    .action((file: string) => {
      try {
        loadConfig(file);
        process.stdout.write(`${file}: OK\n`);
      } catch (err) {
        if (!isAlprError(err)) throw err;
        // The message names the file already.
        process.stdout.write(`${err.message}\n`);
        for (const d of err.details) process.stdout.write(`  ${d}\n`);
        process.exitCode = 1;
      }
    });
}
