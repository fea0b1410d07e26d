/**
 * `alpr provision` as a standalone CLI for tests (node --import tsx test/helpers/provision-cli.ts
 * provision …): the same command registration src/cli.ts uses, with the same error output.
 */
import { Command } from 'commander';
import { registerProvisionCommand } from '../../src/commands/provision.ts';

const program = new Command('alpr');
registerProvisionCommand(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`alpr: ${(err as Error).message}\n`);
  process.exit(1);
});
