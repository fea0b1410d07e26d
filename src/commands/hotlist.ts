import type { Command } from 'commander';

/** `alpr hotlist …` subcommands. */
export function registerHotlistCommands(_program: Command): void {}
