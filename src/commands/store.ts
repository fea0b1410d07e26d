import type { Command } from 'commander';

/** `alpr store …` subcommands. */
export function registerStoreCommands(_program: Command): void {}
