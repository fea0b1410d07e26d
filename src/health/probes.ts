/** Thin I/O for the system checks: the decisions are in checks.ts. */
import { readFile, statfs } from 'node:fs/promises';
import { parseThermal } from './checks.ts';

/** Free (to unprivileged users) and total bytes of the file system holding `dir`. */
export async function diskSpace(dir: string): Promise<{ freeBytes: number; totalBytes: number }> {
  const s = await statfs(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

/** CPU temperature in °C, or null when the thermal file is absent or unreadable. */
export async function cpuTemperature(path: string): Promise<number | null> {
  try {
    return parseThermal(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}
