/**
 * Crash-loop guard. Every parser fed by a device is total and guarded, but should a throw still
 * escape while a source's input is being handled, systemd would restart the unit, the device would
 * send the same thing again, and the unit would die again until systemd gives up. So: code that
 * hands device input on marks the source while it does (`feeding`); an uncaught exception writes a
 * small crash record naming the marked sources to the data folder; at the next start a source named
 * by the last two crash records in a row is left out, its light red with the reason. A clean stop
 * clears the records, so each clean run gives every source its chance again.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CRASH_FILE = 'crashes.json';
/** Records kept: enough to see a loop, small enough to write from a dying process. */
const KEEP = 5;

export interface CrashRecord {
  at: string;
  /** Sources being fed when the process died (`gps`, `camera:<id>`); empty when none was. */
  sources: string[];
  error: string;
}

/** Source per feeding stage; left set when the feeding throws, which is the point. */
const current = new Map<string, string>();

/**
 * Runs `fn` with `source` marked as being fed by `stage`. The mark is cleared only when `fn`
 * returns: a throw leaves it for the crash record (the next feeding by the stage resets it).
 */
export function feeding<T>(stage: string, source: string, fn: () => T): T {
  current.set(stage, source);
  const out = fn();
  current.delete(stage);
  return out;
}

/** Sources marked now (for the crash record and tests). */
export function markedSources(): string[] {
  return [...new Set(current.values())].sort();
}

export function readCrashRecords(dataDir: string): CrashRecord[] {
  try {
    const v: unknown = JSON.parse(readFileSync(join(dataDir, CRASH_FILE), 'utf8'));
    if (!Array.isArray(v)) return [];
    return v.filter(
      (r): r is CrashRecord =>
        typeof r === 'object' &&
        r !== null &&
        Array.isArray((r as CrashRecord).sources) &&
        (r as CrashRecord).sources.every((s) => typeof s === 'string'),
    );
  } catch {
    return [];
  }
}

/** Appends a record (synchronously: called from an uncaught-exception handler). Never throws. */
export function writeCrashRecord(dataDir: string, err: unknown, now = new Date()): CrashRecord {
  const record: CrashRecord = {
    at: now.toISOString(),
    sources: markedSources(),
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  };
  try {
    const all = [...readCrashRecords(dataDir), record].slice(-KEEP);
    const file = join(dataDir, CRASH_FILE);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(all, null, 1)}\n`);
    renameSync(`${file}.tmp`, file);
  } catch {
    // a full or missing data folder: the unit restarts as before, without the guard's help
  }
  return record;
}

/** After a clean stop: the unit ran and stopped on purpose, so no loop is going on. */
export function clearCrashRecords(dataDir: string): void {
  rmSync(join(dataDir, CRASH_FILE), { force: true });
}

/**
 * Sources to leave out at this start, with the reason to show (pure): those named by each of the
 * last two crash records.
 */
export function sourcesToDrop(records: readonly CrashRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  if (records.length < 2) return out;
  const [a, b] = records.slice(-2) as [CrashRecord, CrashRecord];
  for (const s of b.sources) {
    if (!a.sources.includes(s)) continue;
    out.set(
      s,
      `disabled: the unit crashed twice in a row while handling its input (last ${b.at}: ${b.error}); ` +
        'fix or replace it, then restart the unit',
    );
  }
  return out;
}
