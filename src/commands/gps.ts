import type { Command } from 'commander';

/** `alpr gps …` subcommands. */
export function registerGpsCommands(_program: Command): void {}
