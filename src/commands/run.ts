import type { Command } from 'commander';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run the daemon')
    .option('-c, --config <file>', 'config file', process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml')
    .option('--exit-after <seconds>', 'stop after this many seconds (tests, demos)', Number)
    .action(async (opts: { config: string; exitAfter?: number }) => {
      const { runDaemon } = await import('../run-daemon.ts');
      await runDaemon(opts.config, { exitAfterS: opts.exitAfter });
    });
}
