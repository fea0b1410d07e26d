import type { Command } from 'commander';
import { ExitCodes } from '../exit-codes.ts';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      `Run the daemon until SIGINT or SIGTERM (systemd runs this). Exit ${ExitCodes.config}: the config is invalid, nothing was opened; ${ExitCodes.criticalStart}: a critical stage failed to start; ${ExitCodes.criticalRuntime}: an unexpected error while running`,
    )
    .option('-c, --config <file>', 'config file', process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml')
    .option('--exit-after <seconds>', 'stop after this many seconds (tests, demos)', Number)
    .action(async (opts: { config: string; exitAfter?: number }) => {
      const { runDaemon } = await import('../run-daemon.ts');
      await runDaemon(opts.config, { exitAfterS: opts.exitAfter });
    });
}
