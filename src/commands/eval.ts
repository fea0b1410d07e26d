import type { Command } from 'commander';

/** `alpr eval …` subcommands. */
export function registerEvalCommands(_program: Command): void {}
