import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AlprError, ConfigError, ErrorCodes } from '../domain/errors.ts';
import { type Config, configSchema } from './schema.ts';

/** `cameras[1].url` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${where === '(root)' ? k : `${where}.${k}`}: unknown key`).join('\n');
  }
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return `${where}: unknown type; allowed: ${issue.message}`;
  }
  return `${where}: ${issue.message}`;
}

/** Every problem with a parsed config, one line each, or [] when it is valid. */
export function configProblems(raw: unknown): string[] {
  const r = configSchema.safeParse(raw);
  if (r.success) return crossChecks(r.data);
  return r.error.issues.flatMap((i) => describeIssue(i).split('\n'));
}

function crossChecks(c: Config): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  c.cameras.forEach((cam, i) => {
    if (seen.has(cam.id)) out.push(`cameras[${i}].id: duplicate camera id "${cam.id}"`);
    seen.add(cam.id);
  });
  // Images queued but never sent would grow the outbox forever; images wanted but never queued never go.
  if (c.sync.type === 'mqtt' && c.sync.images !== c.store.outboxImages) {
    out.push(
      `sync.images: is ${c.sync.images} but store.outboxImages is ${c.store.outboxImages}; set both to the same value`,
    );
  }
  // Worker threads are how several frames are read at once: in-thread there is only one.
  if (!c.recognize.worker && c.recognize.workers > 1) {
    out.push(
      `recognize.workers: is ${c.recognize.workers} but recognize.worker is false; set worker: true or workers: 1`,
    );
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

export function parseConfigText(text: string, baseDir: string): Readonly<Config> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'config is not valid YAML',
      doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`),
    );
  }
  const raw = doc.toJS();
  const problems = configProblems(raw);
  if (problems.length > 0) throw new ConfigError(`config has ${problems.length} problem(s)`, problems);
  const parsed = configSchema.parse(raw);
  return deepFreeze(resolvePaths(parsed, baseDir));
}

/** Reads, validates and freezes a config file. Throws ConfigError listing every problem. */
export function loadConfig(file: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AlprError(ErrorCodes.CONFIG_READ, `cannot read config ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseConfigText(text, dirname(resolve(file)));
}
