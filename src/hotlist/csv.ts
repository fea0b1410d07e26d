/**
 * Hot-list CSV: the one file format admins push and units load.
 *
 * First line is a header naming the columns, in any order (unknown columns are an error):
 *   plate (required)    plate as printed; spaces and dashes are dropped; `*` = one unknown character (at most 2)
 *   state               2-letter issuing state, empty = any
 *   list                must equal the list being loaded when present
 *   priority            1 (most urgent) .. 9, default 5
 *   case_number, xref   case number, or the subject's cross-reference number
 *   reason, officer_name, officer_phone, synopsis   free text (no line breaks)
 *   informational       true/false (1/0, yes/no); default true for SPECIAL* lists, else false
 *   shareable           true/false; default false for SPECIAL* lists, else true
 *   expires             ISO 8601 date-time; empty = until replaced
 * Fields follow RFC 4180 quoting ("a, b" and "" for a quote) on a single line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { type HotlistEntry, normalizeEntryPlate } from './match.ts';

export const CSV_COLUMNS = [
  'plate',
  'state',
  'list',
  'priority',
  'case_number',
  'xref',
  'reason',
  'officer_name',
  'officer_phone',
  'synopsis',
  'informational',
  'shareable',
  'expires',
] as const;
type Column = (typeof CSV_COLUMNS)[number];

export interface CsvContext {
  list: string;
  now: number;
  source: string | null;
}

export interface CsvError {
  line: number;
  message: string;
}

/** Splits one CSV line (RFC 4180 quoting). Throws on an unterminated quote. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (true) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (true) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') throw new Error('text after a closing quote');
    } else {
      const c = line.indexOf(',', i);
      out.push(line.slice(i, c < 0 ? line.length : c));
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/** Quotes a field when needed. */
export function csvField(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function parseHeader(line: string): Column[] {
  const cols = splitCsvLine(line.replace(/^\uFEFF/, '')).map((c) => c.trim().toLowerCase());
  const bad = cols.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (bad.length > 0)
    throw new Error(`unknown column(s) ${bad.join(', ')}; allowed: ${CSV_COLUMNS.join(', ')}`);
  if (!cols.includes('plate')) throw new Error('the header has no "plate" column');
  if (new Set(cols).size !== cols.length) throw new Error('a column is named twice');
  return cols as Column[];
}

function bool(v: string, dflt: boolean): boolean {
  const s = v.trim().toLowerCase();
  if (s === '') return dflt;
  if (['1', 'true', 'yes', 'y'].includes(s)) return true;
  if (['0', 'false', 'no', 'n'].includes(s)) return false;
  throw new Error(`"${v}" is not true/false`);
}

const text = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : null);
export const isSpecialList = (list: string) => list.startsWith('SPECIAL');

/** One data row to an entry; throws an Error naming the column on a bad value. */
export function rowToEntry(
  cols: readonly Column[],
  fields: readonly string[],
  ctx: CsvContext,
): HotlistEntry {
  if (fields.length !== cols.length) throw new Error(`${fields.length} fields, header has ${cols.length}`);
  const f = {} as Record<Column, string>;
  cols.forEach((c, i) => {
    f[c] = fields[i]!;
  });
  const plate = normalizeEntryPlate(f.plate ?? '');
  if (plate.length < 2 || plate.length > 8)
    throw new Error(`plate: "${f.plate}" must have 2-8 letters/digits`);
  const stars = plate.split('*').length - 1;
  if (stars > 2) throw new Error('plate: at most 2 "*" (unknown characters)');
  if (stars > 0 && plate.length - stars < 3)
    throw new Error('plate: a wildcard plate needs 3 known characters');
  const state = text(f.state)?.toUpperCase() ?? null;
  if (state !== null && !/^[A-Z]{2}$/.test(state))
    throw new Error(`state: "${f.state}" is not a 2-letter code`);
  const list = text(f.list)?.toUpperCase() ?? ctx.list;
  if (list !== ctx.list) throw new Error(`list: "${list}" in a file for list ${ctx.list}`);
  const pr = text(f.priority);
  const priority = pr === null ? 5 : Number(pr);
  if (!Number.isInteger(priority) || priority < 1 || priority > 9)
    throw new Error(`priority: "${pr}" is not 1-9`);
  const special = isSpecialList(list);
  let informational: boolean;
  let shareable: boolean;
  try {
    informational = bool(f.informational ?? '', special);
  } catch (e) {
    throw new Error(`informational: ${(e as Error).message}`);
  }
  try {
    shareable = bool(f.shareable ?? '', !special);
  } catch (e) {
    throw new Error(`shareable: ${(e as Error).message}`);
  }
  const ex = text(f.expires);
  const expires = ex === null ? null : Date.parse(ex);
  if (expires !== null && !Number.isFinite(expires))
    throw new Error(`expires: "${ex}" is not an ISO 8601 date`);
  return {
    list,
    plate,
    raw: (f.plate ?? '').trim(),
    state,
    priority,
    caseNumber: text(f.case_number),
    xref: text(f.xref),
    reason: text(f.reason),
    officerName: text(f.officer_name),
    officerPhone: text(f.officer_phone),
    synopsis: text(f.synopsis),
    informational,
    shareable,
    source: ctx.source,
    created: ctx.now,
    expires,
  };
}

/**
 * Streams entries from CSV lines. Bad rows go to `onError` with their line number (1-based,
 * header = line 1) and are skipped; a bad header throws. Blank lines are ignored.
 */
export async function* csvEntries(
  lines: Iterable<string> | AsyncIterable<string>,
  ctx: CsvContext,
  onError: (e: CsvError) => void,
): AsyncGenerator<HotlistEntry> {
  let cols: Column[] | null = null;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (cols === null) {
      try {
        cols = parseHeader(line);
      } catch (e) {
        throw new AlprError(ErrorCodes.HOTLIST_CSV, `line 1: ${(e as Error).message}`);
      }
      continue;
    }
    if (line.trim() === '') continue;
    try {
      yield rowToEntry(cols, splitCsvLine(line), ctx);
    } catch (e) {
      onError({ line: lineNo, message: (e as Error).message });
    }
  }
  if (cols === null) throw new AlprError(ErrorCodes.HOTLIST_CSV, 'empty file: no header line');
}

/** The lines of a text file, streamed. */
export function fileLines(path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
}

/**
 * The lines of a gzipped body, streamed (a state list is tens of MB unpacked). A body that is not
 * gzip, or is cut short, ends the iteration with its Error. zlib can emit more than one error for
 * one bad body; readline forwards only the first, and a second with no listener would be an
 * uncaught exception that ends the process, so every error is listened to here.
 */
export async function* gunzipLines(body: Buffer): AsyncGenerator<string> {
  const gunzip = createGunzip();
  let failure: Error | null = null;
  gunzip.on('error', (err) => {
    failure ??= err;
  });
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  gunzip.end(body);
  try {
    for await (const line of lines) {
      if (failure) break;
      yield line;
    }
  } finally {
    lines.close();
    gunzip.destroy();
  }
  if (failure) throw failure;
}

/** Validates a whole CSV; returns the entries count and every bad row. */
export async function validateCsv(
  lines: Iterable<string> | AsyncIterable<string>,
  ctx: CsvContext,
): Promise<{ rows: number; errors: CsvError[] }> {
  const errors: CsvError[] = [];
  let rows = 0;
  for await (const _ of csvEntries(lines, ctx, (e) => errors.push(e))) rows++;
  return { rows, errors };
}

/** One entry as a CSV line with every column, in CSV_COLUMNS order. */
export function entryToCsv(e: HotlistEntry): string {
  return [
    e.plate,
    e.state,
    e.list,
    e.priority,
    e.caseNumber,
    e.xref,
    e.reason,
    e.officerName,
    e.officerPhone,
    e.synopsis,
    e.informational,
    e.shareable,
    e.expires === null ? null : new Date(e.expires).toISOString(),
  ]
    .map(csvField)
    .join(',');
}
