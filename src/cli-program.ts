/** The `alpr` command tree (every subcommand registered), apart from running it: tests walk its help. */
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
import { SOFTWARE_VERSION } from './core/version.ts';

export function buildProgram(): Command {
  const program = new Command('alpr')
    .description('In-car automated license plate reader')
    .version(SOFTWARE_VERSION)
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
  return program;
}
