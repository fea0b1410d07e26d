import type { Command } from 'commander';

/** `alpr sync …` subcommands. */
export function registerSyncCommands(_program: Command): void {}
