import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { AlprError, ConfigError, ErrorCodes } from '../domain/errors.ts';
import { knownKeys, type Locate, yamlLocator } from './locate.ts';
import { type Config, configSchema } from './schema.ts';
import { nearest, plainIssue, plainYamlError } from './wording.ts';

/** `cameras[1].url` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** One problem: where (path, and the key for an unknown one) and what, in plain words. */
interface Problem {
  path: readonly PropertyKey[];
  key?: string;
  text: string;
}

function render(p: Problem, locate?: Locate): string {
  const full = p.key === undefined ? p.path : [...p.path, p.key];
  const line = locate?.(p.path, p.key);
  const where = full.length > 0 ? `${formatPath(full)}: ` : 'config: ';
  return `${where}${p.text}${line === undefined ? '' : ` (line ${line})`}`;
}

function issueProblems(raw: unknown): Problem[] {
  // Our wording replaces zod's defaults; a message written in the schema itself still wins.
  const r = configSchema.safeParse(raw, { error: plainIssue, reportInput: true });
  if (r.success) return crossChecks(r.data);
  return r.error.issues.flatMap((i): Problem[] => {
    if (i.code === 'unrecognized_keys') {
      const known = knownKeys(configSchema, i.path, raw);
      return i.keys.map((key) => {
        const hint = nearest(key, known);
        const text = hint
          ? `unknown key; did you mean "${hint}"?`
          : `unknown key; known keys here: ${[...known].sort().join(', ')}`;
        return { path: i.path, key, text };
      });
    }
    if (i.path.length === 0 && i.code === 'invalid_type') {
      const text =
        raw === null || raw === undefined
          ? 'the file is empty; it needs at least "version" and "unit"'
          : `must be a mapping of sections (version, unit, cameras…), not ${i.message.replace(/^.*, not /, '')}`;
      return [{ path: [], text }];
    }
    return [{ path: i.path, text: i.message }];
  });
}

/** Every problem with a parsed config, one line each, or [] when it is valid. */
export function configProblems(raw: unknown, locate?: Locate): string[] {
  return issueProblems(raw).map((p) => render(p, locate));
}

function crossChecks(c: Config): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  c.cameras.forEach((cam, i) => {
    if (seen.has(cam.id)) out.push({ path: ['cameras', i, 'id'], text: `duplicate camera id "${cam.id}"` });
    seen.add(cam.id);
  });
  // Images queued but never sent would grow the outbox forever; images wanted but never queued never go.
  if (c.sync.type === 'mqtt' && c.sync.images !== c.store.outboxImages) {
    out.push({
      path: ['sync', 'images'],
      text: `is ${c.sync.images} but store.outboxImages is ${c.store.outboxImages}; set both to the same value`,
    });
  }
  // Worker threads are how several frames are read at once: in-thread there is only one.
  if (!c.recognize.worker && c.recognize.workers > 1) {
    out.push({
      path: ['recognize', 'workers'],
      text: `is ${c.recognize.workers} but recognize.worker is false; set worker: true or workers: 1`,
    });
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Resolves relative file paths in the config against the config file's folder. */
function resolvePaths(c: Config, baseDir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  c.paths.dataDir = abs(c.paths.dataDir);
  if (c.paths.credentialsDir) c.paths.credentialsDir = abs(c.paths.credentialsDir);
  for (const cam of c.cameras) if (cam.type === 'file') cam.path = abs(cam.path);
  if (c.gps.type === 'replay') c.gps.path = abs(c.gps.path);
  if (c.recognize.detModel) c.recognize.detModel = abs(c.recognize.detModel);
  if (c.recognize.recModel) c.recognize.recModel = abs(c.recognize.recModel);
  if (c.recognize.keys) c.recognize.keys = abs(c.recognize.keys);
  for (const s of c.hotlist.seedCsv) s.path = abs(s.path);
  return c;
}

const problemCount = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;

/**
 * Parses and validates config text; throws ConfigError whose details are one sentence per problem
 * with its path and line. `name` (the file) opens the message, once.
 */
export function parseConfigText(text: string, baseDir: string, name = 'config'): Readonly<Config> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const seen = new Set<number>();
    const details: string[] = [];
    for (const e of doc.errors) {
      const { line, col } = lines.linePos(e.pos[0]);
      // One error per line: the parser's follow-on complaints about the same spot add nothing.
      if (seen.has(line)) continue;
      seen.add(line);
      details.push(`yaml: ${plainYamlError(e.code, e.message)} (line ${line}, column ${col})`);
    }
    throw new ConfigError(`${name} is not valid YAML: ${problemCount(details.length)}`, details);
  }
  let raw: unknown;
  try {
    // aliases are expanded here: a document of nested aliases ("billion laughs") is refused
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(`${name} is not valid YAML: 1 problem`, [`yaml: ${(err as Error).message}`]);
  }
  const problems = configProblems(raw, yamlLocator(doc, lines));
  if (problems.length > 0) throw new ConfigError(`${name} has ${problemCount(problems.length)}`, problems);
  const parsed = configSchema.parse(raw);
  return deepFreeze(resolvePaths(parsed, baseDir));
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
};

/** Reads, validates and freezes a config file. Throws ConfigError listing every problem. */
export function loadConfig(file: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // Node's own message repeats the path: the reason alone, in words.
    const why = READ_ERRORS[code] ?? (err as Error).message.replace(/,? (open|read) '.*'$/, '');
    throw new AlprError(ErrorCodes.CONFIG_READ, `cannot read config ${file}: ${why}`, { cause: err });
  }
  return parseConfigText(text, dirname(resolve(file)), `config ${file}`);
}
