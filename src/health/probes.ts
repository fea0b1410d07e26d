/** Thin I/O for the system checks: the decisions are in checks.ts. */
import { readFile, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseThermal } from './checks.ts';

/**
 * Free (to unprivileged users) and total bytes of the file system holding `dir`. A folder not
 * created yet (the store creates the data folder after the health stage's first check, on every
 * fresh start) is measured at its nearest existing parent, where it will be created: reporting it
 * unreadable would show a red light until the next check. Any other error (no permission, a file
 * in the way) still throws.
 */
export async function diskSpace(dir: string): Promise<{ freeBytes: number; totalBytes: number }> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      const s = await statfs(at);
      return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw err;
    }
  }
}

/** CPU temperature in °C, or null when the thermal file is absent or unreadable. */
export async function cpuTemperature(path: string): Promise<number | null> {
  try {
    return parseThermal(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}
