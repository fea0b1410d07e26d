/**
 * The `alpr` command's exit codes, in one place: the code uses these names, and the README's table
 * is generated from EXIT_CODE_TABLE (scripts/make-docs.ts; a test fails when it is behind).
 */
export const ExitCodes = {
  ok: 0,
  /** Any error (message and ALPR_E_… code on stderr), or a check that did not pass. */
  failed: 1,
  /** `alpr run`: the config is invalid; nothing was opened (systemd does not restart it). */
  config: 2,
  /** `alpr status`: the daemon is not running or not reachable. */
  unreachable: 2,
  /** `alpr run`: a critical stage failed to start (systemd restarts it). */
  criticalStart: 3,
  /** `alpr run`: an unexpected error while running; the crash record names the source (systemd restarts it). */
  criticalRuntime: 4,
  /** `alpr run`: a second Ctrl-C while it was stopping. */
  interrupted: 130,
} as const;

export interface ExitCodeRow {
  code: number;
  commands: string;
  meaning: string;
}

export const EXIT_CODE_TABLE: readonly ExitCodeRow[] = [
  {
    code: ExitCodes.ok,
    commands: 'all',
    meaning:
      'Done; a check passed (`alpr status`: no light amber or red; `config check`, `audit verify`: nothing wrong; `selftest`: no check failed, its result GREEN, or AMBER with warnings such as keys not sealed to a TPM)',
  },
  {
    code: ExitCodes.failed,
    commands: 'all',
    meaning:
      'An error (message and its `ALPR_E_…` code on stderr), or a check that did not pass: `config check` found problems, `status` shows a light amber or red, `selftest` a failed check, `gps monitor --seconds` no green light, `camera test` no frame, `audit verify` a broken chain, `provision` rolled back',
  },
  {
    code: ExitCodes.config,
    commands: '`alpr run`',
    meaning:
      'The config is invalid (every problem is printed), or a model file it names (or the release ships) is missing or is not a model; systemd does not restart it',
  },
  {
    code: ExitCodes.unreachable,
    commands: '`alpr status`',
    meaning: 'The daemon is not running or not reachable',
  },
  {
    code: ExitCodes.criticalStart,
    commands: '`alpr run`',
    meaning: 'A critical stage (store, hot lists, recognition) failed to start; systemd restarts it',
  },
  {
    code: ExitCodes.criticalRuntime,
    commands: '`alpr run`',
    meaning:
      'An unexpected error while running; `<dataDir>/crashes.json` names the source being handled, systemd restarts it',
  },
  { code: ExitCodes.interrupted, commands: '`alpr run`', meaning: 'A second Ctrl-C while it was stopping' },
];

export function exitCodesTable(): string {
  return [
    '| exit | command | meaning |',
    '|---|---|---|',
    ...EXIT_CODE_TABLE.map((r) => `| ${r.code} | ${r.commands} | ${r.meaning} |`),
  ].join('\n');
}
