/** Whether a command-line tool a test drives is installed (it runs and exits 0). */
import { execFileSync } from 'node:child_process';

export function hasTool(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** socat makes the pseudo-terminal "cables" the serial GPS tests plug receivers into. */
export const hasSocat = hasTool('socat', ['-V']);
