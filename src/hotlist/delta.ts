/**
 * Delta snapshots: the changes that turn one version of a list into the next.
 *
 * Body (gzip-compressed like a full snapshot): a header line `op,` + every CSV column
 * (CSV_COLUMNS order), then one line per change, removes first:
 *   -,<row>   remove one entry equal to <row> in every column
 *   +,<row>   add <row> as a new entry
 * Rows are the canonical form the admin tool publishes (`entryToCsv`), so two versions compare
 * line by line; a changed entry is a remove plus an add. Lists may hold the same row twice, so
 * the comparison counts lines (a multiset), it does not dedupe them.
 */
import { gzipSync } from 'node:zlib';
import { CSV_COLUMNS, type CsvContext, gunzipLines, rowToEntry, splitCsvLine } from './csv.ts';
import type { HotlistEntry } from './match.ts';

export const DELTA_HEADER = `op,${CSV_COLUMNS.join(',')}`;

export interface DeltaChange {
  op: '+' | '-';
  entry: HotlistEntry;
}

/**
 * The lines to remove and to add to turn `prev` into `next` (both canonical CSV lines, no
 * header). Only `prev` is held in memory (as counts); `next` streams.
 */
export async function diffLines(
  prev: Iterable<string> | AsyncIterable<string>,
  next: Iterable<string> | AsyncIterable<string>,
): Promise<{ removes: string[]; adds: string[] }> {
  const count = new Map<string, number>();
  for await (const l of prev) count.set(l, (count.get(l) ?? 0) + 1);
  const adds: string[] = [];
  for await (const l of next) {
    const c = count.get(l) ?? 0;
    if (c === 0) adds.push(l);
    else if (c === 1) count.delete(l);
    else count.set(l, c - 1);
  }
  const removes: string[] = [];
  for (const [l, c] of count) for (let i = 0; i < c; i++) removes.push(l);
  return { removes, adds };
}

/** The gzip body of a delta. */
export function deltaBody(d: { removes: readonly string[]; adds: readonly string[] }): Buffer {
  const lines = [DELTA_HEADER, ...d.removes.map((l) => `-,${l}`), ...d.adds.map((l) => `+,${l}`)];
  return gzipSync(`${lines.join('\n')}\n`);
}

/** The data lines (no header) of a gzip body: a full snapshot or a delta. */
export async function* bodyLines(body: Buffer): AsyncGenerator<string> {
  let first = true;
  const lines = gunzipLines(body);
  for await (const l of lines) {
    if (first) {
      first = false;
      continue;
    }
    if (l !== '') yield l;
  }
}

/**
 * Every change of a verified delta body. Throws on a bad header or line (the message names the
 * line number and column, never the plate), or when the count differs from `changes`.
 */
export async function deltaChanges(body: Buffer, ctx: CsvContext, changes: number): Promise<DeltaChange[]> {
  const lines = gunzipLines(body);
  const out: DeltaChange[] = [];
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (lineNo === 1) {
      if (line !== DELTA_HEADER) throw new Error('delta header is not the expected columns');
      continue;
    }
    if (line === '') continue;
    const op = line[0];
    if ((op !== '+' && op !== '-') || line[1] !== ',') throw new Error(`delta line ${lineNo} has no +/- op`);
    let entry: HotlistEntry;
    try {
      entry = rowToEntry(CSV_COLUMNS, splitCsvLine(line.slice(2)), ctx);
    } catch (e) {
      // The column only: the message may quote plate text, which goes neither to logs nor to acks.
      throw new Error(`delta line ${lineNo} is bad (${(e as Error).message.split(':')[0]})`);
    }
    if (out.length >= changes)
      throw new Error(`delta holds more than the ${changes} changes its manifest says`);
    out.push({ op, entry });
  }
  if (lineNo === 0) throw new Error('delta is empty: no header');
  if (out.length !== changes)
    throw new Error(`delta holds ${out.length} changes, its manifest says ${changes}`);
  return out;
}
