#!/usr/bin/env node
// First, before any command module loads onnxruntime-node: see no-egress.ts.
import './core/no-egress.ts';
import { buildProgram } from './cli-program.ts';
import { isJournalStream } from './core/log.ts';
import { isAlprError } from './domain/errors.ts';
import { ExitCodes } from './exit-codes.ts';

const program = buildProgram();

// Output piped into a reader that stops early (`alpr gps decode log | head`): stop quietly, as
// other command-line tools do, instead of a stack trace. Not the daemon: its stdout is the
// journal, and one that goes away is a failure for systemd to restart it after.
if (process.argv[2] !== 'run')
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCodes.ok);
    throw err;
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  // Users see the message and the code; the stack only with ALPR_DEBUG=1. Under systemd each line
  // is filed in the journal as an error (`journalctl -p err`).
  const err3 = isJournalStream(2) ? '<3>' : '';
  if (isAlprError(err)) {
    process.stderr.write(`${err3}alpr: ${err.message} [${err.code}]\n`);
    for (const d of err.details) process.stderr.write(`${err3}  ${d}\n`);
  } else {
    process.stderr.write(`${err3}alpr: ${(err as Error)?.message ?? String(err)}\n`);
  }
  if (process.env.ALPR_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  process.exit(ExitCodes.failed);
});
