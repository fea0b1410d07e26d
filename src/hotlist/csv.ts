/**
 * Hot-list CSV: the one file format admins push and units load.
 *
 * First line is a header naming the columns, in any order (unknown columns are an error):
 *   plate (required)    plate as printed; spaces and dashes are dropped, other characters than
 *                       letters, digits and `*` refused; `*` = one unknown character (at most 2)
 *   state               2-letter issuing state, empty = any (match.ts gates only on US jurisdictions)
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

/**
 * Longest value per column, in characters (before trimming): a row is at most a few hundred bytes,
 * and a field of megabytes is an attack on the unit's memory, not data.
 */
export const MAX_FIELD_CHARS: Readonly<Record<Column, number>> = {
  plate: 32,
  state: 8,
  list: 64,
  priority: 8,
  case_number: 64,
  xref: 64,
  reason: 1000,
  officer_name: 200,
  officer_phone: 64,
  synopsis: 2000,
  informational: 8,
  shareable: 8,
  expires: 64,
};
/** Longest CSV line: every column at its longest, quoted, with room to spare. */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a formula (`=cmd|…`):
 * such text is written behind a `'`, which spreadsheets show as text. Text that starts with `'`
 * gets one more, so that reading back (unescapeFormula) gives the text exactly as entered.
 */
export function escapeFormula(s: string): string {
  return /^[=+\-@\t\r']/.test(s) ? `'${s}` : s;
}

export function unescapeFormula(s: string): string {
  return s.startsWith("'") ? s.slice(1) : s;
}

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
const freeText = (v: string | undefined) => text(unescapeFormula(text(v) ?? '')) ?? null;
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
    // The column only in the message: the value may be a plate, or megabytes.
    if (fields[i]!.length > MAX_FIELD_CHARS[c])
      throw new Error(`${c}: longer than ${MAX_FIELD_CHARS[c]} characters`);
    f[c] = fields[i]!;
  });
  // spaces and dashes go; anything else but letters, digits and `*` is a mistake, not a separator
  if (/[^A-Za-z0-9* -]/.test(f.plate ?? ''))
    throw new Error(`plate: "${f.plate}" has characters other than letters, digits, spaces, dashes and "*"`);
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
    caseNumber: freeText(f.case_number),
    xref: freeText(f.xref),
    reason: freeText(f.reason),
    officerName: freeText(f.officer_name),
    officerPhone: freeText(f.officer_phone),
    synopsis: freeText(f.synopsis),
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

/** The lines of a text file, streamed, none longer than MAX_LINE_CHARS. */
export function fileLines(path: string): AsyncIterable<string> {
  return boundedLines(createReadStream(path, { encoding: 'utf8' }));
}

/**
 * Splits a text stream into lines (LF or CRLF, as readline does) and throws a
 * coded error as soon as a line passes `maxChars`, without holding more of it: a line-reader that
 * collects whole lines first would take a gigabyte for a 150 MB line.
 */
export async function* boundedLines(
  input: Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
  maxChars = MAX_LINE_CHARS,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let part = '';
  let lineNo = 1;
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl = text.indexOf('\n', from);
    while (nl >= 0) {
      const full = part + text.slice(from, nl);
      const line = full.endsWith('\r') ? full.slice(0, -1) : full;
      part = '';
      if (line.length > maxChars) throw lineTooLong(lineNo, maxChars);
      yield line;
      lineNo++;
      from = nl + 1;
      nl = text.indexOf('\n', from);
    }
    part += text.slice(from);
    if (part.length > maxChars) throw lineTooLong(lineNo, maxChars);
  }
  part += decoder.decode();
  if (part.length > maxChars) throw lineTooLong(lineNo, maxChars);
  if (part !== '') yield part;
}

function lineTooLong(line: number, max: number): AlprError {
  return new AlprError(
    ErrorCodes.HOTLIST_CSV,
    `line ${line}: longer than ${max} characters (not a hot-list row)`,
  );
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
  // zlib can emit a second error after the first; nobody else listens, so catch them all here
  gunzip.on('error', (err) => {
    failure ??= err;
  });
  gunzip.end(body);
  try {
    for await (const line of boundedLines(gunzip)) {
      if (failure) break;
      yield line;
    }
  } finally {
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
  const free = (v: string | null) => (v === null ? null : escapeFormula(v));
  return [
    e.plate,
    e.state,
    e.list,
    e.priority,
    free(e.caseNumber),
    free(e.xref),
    free(e.reason),
    free(e.officerName),
    free(e.officerPhone),
    free(e.synopsis),
    e.informational,
    e.shareable,
    e.expires === null ? null : new Date(e.expires).toISOString(),
  ]
    .map(csvField)
    .join(',');
}
