/**
 * One daemon per data folder: two writing one store fight over its outbox and the unit's broker
 * session (each knocking the other off), and `alpr status` reads a queue neither owns. The store
 * keeps `<dataDir>/alpr.pid` while it is open; a second daemon refuses to start while the pid in it
 * is a live `alpr` process. A file left by a daemon that was killed (kill -9, power loss) names a
 * process that is gone, or another program after a reboot: it is taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlprError, ErrorCodes } from '../domain/errors.ts';

export const OWNER_FILE = 'alpr.pid';

/** Whether `pid` is a live process that looks like the daemon (its command line names the CLI). */
export function isLiveDaemon(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, but another user's: not ours to judge by its command line
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /\bcli\.(js|ts)\b/.test(cmd);
  } catch {
    return true; // no /proc: a live pid is taken for a daemon
  }
}

/** Takes the data folder for this process; throws ALPR_E_STORE naming the other daemon. */
export function claimDataDir(dataDir: string, pid = process.pid): () => void {
  const file = join(dataDir, OWNER_FILE);
  let other = Number.NaN;
  try {
    other = Number(readFileSync(file, 'utf8').trim());
  } catch {
    // no file: free
  }
  if (other !== pid && isLiveDaemon(other))
    throw new AlprError(
      ErrorCodes.STORE,
      `the data folder ${dataDir} is in use by another alpr daemon (pid ${other}): stop it first (systemctl stop alpr)`,
    );
  try {
    writeFileSync(file, `${pid}\n`, { mode: 0o600 });
  } catch {
    // a folder that cannot be written: opening the store says so, with the folder and why
    return () => {};
  }
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === pid) unlinkSync(file);
    } catch {
      // gone already
    }
  };
}
