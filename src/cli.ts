#!/usr/bin/env node
// First, before any command module loads onnxruntime-node: see no-egress.ts.
import './core/no-egress.ts';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCameraCommands } from './commands/camera.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerEvalCommands } from './commands/eval.ts';
import { registerGpsCommands } from './commands/gps.ts';
import { registerHoldCommand } from './commands/hold.ts';
import { registerHotlistCommands } from './commands/hotlist.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerProvisionCommand } from './commands/provision.ts';
import { registerRosterPush } from './commands/roster-push.ts';
import { registerRosterCommands } from './commands/roster.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSelftestCommand } from './commands/selftest.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerStoreCommands } from './commands/store.ts';
import { registerSyncCommands } from './commands/sync.ts';
import { isAlprError } from './domain/errors.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('alpr')
  .description('In-car automated license plate reader')
  .version(pkg.version)
  .showHelpAfterError();

registerRunCommand(program);
registerConfigCommands(program);
registerEvalCommands(program);
registerGpsCommands(program);
registerHotlistCommands(program);
registerCameraCommands(program);
registerStoreCommands(program);
registerSyncCommands(program);
registerHoldCommand(program);
registerStatusCommand(program);
registerSelftestCommand(program);
registerProvisionCommand(program);
registerRosterCommands(program);
registerRosterPush(program);
registerAuditCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Users see the message and the code; the stack only with ALPR_DEBUG=1.
  if (isAlprError(err)) {
    process.stderr.write(`alpr: ${err.message} [${err.code}]\n`);
    for (const d of err.details) process.stderr.write(`  ${d}\n`);
  } else {
    process.stderr.write(`alpr: ${(err as Error)?.message ?? String(err)}\n`);
  }
  if (process.env.ALPR_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  process.exit(1);
});
