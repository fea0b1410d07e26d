/**
 * Plain wording for config problems: zod's issues and the YAML parser's errors become one sentence
 * each that a technician can act on (`cameras[0].type: unknown type "foo"; allowed: file, mjpeg,
 * rtsp, v4l2`). Pure functions: load.ts adds the path and the line.
 */
import type { z } from 'zod';

/** `"text"`, `12`, `true`, `a list`… for quoting what the file holds. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

const KIND: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
};

/** `"a", "b" or "c"` style list, sorted, for allowed values. */
export function allowedList(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? v : describeValue(v)));
  return [...new Set(shown)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join(', ');
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(
        d[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/**
 * The known name a mistyped one most likely meant, or undefined when none is close: within a
 * third of the longer name's length in edits (at least 1), or one name a prefix of the other.
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = editDistance(word, name);
    const lw = word.toLowerCase();
    const ln = name.toLowerCase();
    const prefix = Math.min(lw.length, ln.length) >= 3 && (ln.startsWith(lw) || lw.startsWith(ln));
    const close = d <= Math.max(1, Math.floor(Math.max(word.length, name.length) / 3)) || prefix;
    if (close && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function sizeWords(origin: string, n: number | bigint): string {
  if (origin === 'string') return `${n} character${n === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${n} item${n === 1 ? '' : 's'}`;
  return String(n);
}

function bound(iss: { origin: string; inclusive?: boolean }, n: number | bigint, low: boolean): string {
  const exact = iss.inclusive !== false;
  const what = sizeWords(iss.origin, n);
  if (iss.origin === 'string' && low && n === 1) return 'must not be empty';
  if (iss.origin === 'number' || iss.origin === 'int' || iss.origin === 'bigint')
    return `must be ${low ? (exact ? 'at least' : 'more than') : exact ? 'at most' : 'less than'} ${what}`;
  return `must have ${low ? (exact ? 'at least' : 'more than') : exact ? 'at most' : 'fewer than'} ${what}`;
}

/** The value that was given, when there was one: `, not 33`. */
function notGiven(input: unknown): string {
  return input === undefined ? '' : `, not ${describeValue(input)}`;
}

/**
 * zod's error map for config parsing: a plain phrase for every issue that the schema did not word
 * itself (a schema's own message always wins). No path here; load.ts puts it in front.
 */
export function plainIssue(iss: z.core.$ZodRawIssue): string {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type':
      if (input === undefined) return 'is required';
      return `must be ${KIND[iss.expected] ?? iss.expected}${notGiven(input)}`;
    case 'invalid_value': {
      if (iss.values.length === 1) return `must be ${describeValue(iss.values[0])}${notGiven(input)}`;
      const strings = iss.values.filter((v): v is string => typeof v === 'string');
      const hint = typeof input === 'string' ? nearest(input, strings) : undefined;
      const what = input === undefined ? 'is required' : `unknown value ${describeValue(input)}`;
      return `${what}; allowed: ${allowedList(iss.values)}${hint ? `; did you mean "${hint}"?` : ''}`;
    }
    case 'too_small':
      return `${bound(iss, iss.minimum, true)}${notGiven(input)}`;
    case 'too_big':
      return `${bound(iss, iss.maximum, false)}${notGiven(input)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}${notGiven(input)}`;
    case 'invalid_format':
      if (iss.format === 'regex' && 'pattern' in iss) return `${describeValue(input)} has the wrong form`;
      return `must be a valid ${iss.format}${notGiven(input)}`;
    case 'invalid_union':
      return unionPhrase(iss);
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_element':
      return 'has an item that is not allowed';
    default:
      return 'is not valid';
  }
}

function unionPhrase(iss: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>): string {
  const input = iss.input;
  const options = (iss as { options?: unknown[] }).options;
  const key = (iss as { discriminator?: string }).discriminator;
  if (key && options) {
    // The zod issue's input is the whole entry; the path already ends at its `type`.
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      return `must be a mapping with a ${key} (${allowedList(options)})${notGiven(input)}`;
    const tag = (input as Record<string, unknown>)[key];
    const strings = options.filter((v): v is string => typeof v === 'string');
    const hint = typeof tag === 'string' ? nearest(tag, strings) : undefined;
    const what = tag === undefined ? 'is required' : `unknown ${key} ${describeValue(tag)}`;
    return `${what}; allowed: ${allowedList(options)}${hint ? `; did you mean "${hint}"?` : ''}`;
  }
  // A union of literals (e.g. baud rates): every branch failed on its one allowed value.
  const values = iss.errors.flatMap((branch) =>
    branch.length === 1 && branch[0]!.code === 'invalid_value' ? branch[0]!.values : [undefined],
  );
  if (values.length > 0 && !values.includes(undefined))
    return `must be one of ${allowedList(values)}${notGiven(input)}`;
  return `does not match any allowed form${notGiven(input)}`;
}

/** A YAML parser error as a plain phrase (its location is added by the caller). */
export function plainYamlError(code: string, message: string): string {
  if (code === 'TAB_AS_INDENT') return 'tabs are not allowed for indentation; use spaces';
  if (code === 'DUPLICATE_KEY') return 'the same key appears twice in one mapping';
  const m = message
    .split('\n')[0]!
    .replace(/\s+at line \d+, column \d+:?\s*$/, '')
    .replace(/[:.]\s*$/, '');
  return /^[A-Z][a-z]/.test(m) ? m[0]!.toLowerCase() + m.slice(1) : m;
}
