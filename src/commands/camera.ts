import type { Command } from 'commander';

/** `alpr camera …` subcommands. */
export function registerCameraCommands(_program: Command): void {}
