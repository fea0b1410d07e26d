/**
 * The config reference (docs/config.md), generated from the one schema: every key with its type
 * and bounds, its default and its meaning. `npx tsx scripts/make-docs.ts` writes it; a test fails
 * when the file is behind the schema or a key has no meaning. Pure.
 */
import { z } from 'zod';
import { configSchema } from './schema.ts';

/** The subset of JSON Schema that z.toJSONSchema gives for our schema. */
interface Js {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, Js>;
  required?: string[];
  items?: Js;
  oneOf?: Js[];
  anyOf?: Js[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
}

export interface ReferenceRow {
  key: string;
  type: string;
  default: string;
  meaning: string;
}

const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

/** The `type` values a branch of a union stands for (a const, or an enum of several). */
function typeValues(b: Js): unknown[] {
  const t = b.properties?.type;
  if (!t) return [];
  return t.const !== undefined ? [t.const] : (t.enum ?? []);
}

function typeOf(s: Js): string {
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' \\| ');
  const alts = s.oneOf ?? s.anyOf;
  if (alts?.length && alts.every((b) => typeValues(b).length > 0))
    return `by \`type\`: ${alts.flatMap(typeValues).map(code).join(' \\| ')}`;
  if (alts) return alts.map(typeOf).join(' \\| ');
  if (s.type === 'number' || s.type === 'integer') {
    const lo = s.minimum ?? s.exclusiveMinimum;
    const range = lo !== undefined || s.maximum !== undefined ? ` ${lo ?? '…'}–${s.maximum ?? '…'}` : '';
    return `${s.type === 'integer' ? 'integer' : 'number'}${range}`;
  }
  if (s.type === 'string') return s.maxLength === 4096 ? 'path' : 'text';
  if (s.type === 'array') {
    const of = s.items ? typeOf(s.items) : 'values';
    const n = s.maxItems !== undefined ? ` (at most ${s.maxItems})` : '';
    return of.startsWith('by ') ? `list${n}, each ${of}` : `list${n} of ${of}`;
  }
  if (s.type === 'object') return 'section';
  return s.type ?? 'value';
}

function defaultOf(s: Js, required: boolean): string {
  if (s.default !== undefined) {
    const d = s.default;
    if (d && typeof d === 'object' && !Array.isArray(d) && Object.keys(d).length === 0)
      return 'its keys’ defaults';
    return code(d);
  }
  return required ? '**required**' : '–';
}

const isSection = (s: Js) => s.type === 'object' && !!s.properties;
const branchesOf = (s: Js) =>
  (s.oneOf ?? s.anyOf ?? []).filter((b) => isSection(b) && typeValues(b).length > 0);

/** One row per key, depth first; a section's rows follow its own; union branches come apart. */
function rows(s: Js, prefix: string, out: ReferenceRow[]): void {
  const req = new Set(s.required ?? []);
  for (const [name, v] of Object.entries(s.properties ?? {})) {
    const key = `${prefix}${name}`;
    const item = v.type === 'array' ? v.items : undefined;
    const meaning = v.description ?? (name === 'type' && typeValues(s).length ? 'Selects this table' : '');
    out.push({ key, type: typeOf(v), default: defaultOf(v, req.has(name)), meaning });
    if (isSection(v)) rows(v, `${key}.`, out);
    else if (item && isSection(item)) rows(item, `${key}[].`, out);
  }
}

function table(rs: readonly ReferenceRow[]): string {
  const esc = (t: string) => t.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...rs.map((r) => `| \`${r.key}\` | ${r.type} | ${r.default} | ${esc(r.meaning)} |`),
  ].join('\n');
}

/** The sections of the reference: per top-level key, and per `type` of a key chosen by type. */
export function referenceSections(): { title: string; about: string; rows: ReferenceRow[] }[] {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Js;
  const out: { title: string; about: string; rows: ReferenceRow[] }[] = [];
  const req = new Set(root.required ?? []);
  for (const [name, v] of Object.entries(root.properties ?? {})) {
    const item = v.type === 'array' ? v.items : undefined;
    const unionOf = item && branchesOf(item).length ? item : branchesOf(v).length ? v : null;
    const head: ReferenceRow = {
      key: name,
      type: typeOf(v),
      default: defaultOf(v, req.has(name)),
      meaning: v.description ?? '',
    };
    if (!unionOf) {
      const rs = [head];
      if (isSection(v)) rows(v, `${name}.`, rs);
      else if (item && isSection(item)) rows(item, `${name}[].`, rs);
      out.push({ title: name, about: '', rows: rs });
      continue;
    }
    out.push({ title: name, about: '', rows: [head] });
    const prefix = item ? `${name}[].` : `${name}.`;
    for (const b of branchesOf(unionOf)) {
      const rs: ReferenceRow[] = [];
      rows(b, prefix, rs);
      const types = typeValues(b).map(String);
      const title = `${name} with type: ${types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : types[0]}`;
      out.push({ title, about: b.description ?? '', rows: rs });
    }
  }
  return out;
}

/** Keys without a meaning (the test requires none). */
export function undocumentedKeys(): string[] {
  return referenceSections()
    .flatMap((s) => s.rows)
    .filter((r) => !r.meaning)
    .map((r) => r.key);
}

export function configReference(): string {
  const parts = [
    '# Config reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npx tsx scripts/make-docs.ts`: edit the schema, not this file. -->',
    '',
    'The unit reads one YAML file (`/etc/alpr/config.yaml`; `alpr run --config FILE`). `version: 1` is',
    'its first line. Unknown keys are refused, every problem is reported with its path (and a',
    '"did you mean" for a misspelt key), and nothing is opened before the whole file is valid:',
    '`alpr config check FILE` (add `--deep` to check every file, key, folder, device and port it',
    'names). Relative paths are taken from the config file’s folder. Secrets (store key, TLS keys,',
    'camera passwords) are never in this file: they are files in the credentials folder',
    '(`paths.credentialsDir`, else systemd’s `$CREDENTIALS_DIRECTORY`). The shipped examples:',
    '`config/default.yaml` (the car) and `config/demo.yaml` (the demo).',
    '',
    'A section left out takes the defaults of its keys. Keys chosen by `type` (cameras, GPS, sync)',
    'have one table per type.',
  ];
  for (const s of referenceSections()) {
    parts.push('', `## \`${s.title}\``, '');
    if (s.about) parts.push(s.about, '');
    parts.push(table(s.rows));
  }
  return `${parts.join('\n')}\n`;
}
