/**
 * Where a config problem is: the line in the YAML file for a path, and the keys the schema knows
 * at a path (for "did you mean …?").
 */
import { type Document, isMap, isScalar, type LineCounter } from 'yaml';
import type { z } from 'zod';

/** Line (1-based) of the node at `path`, or of `key` inside it; undefined when not in the file. */
export type Locate = (path: readonly PropertyKey[], key?: string) => number | undefined;

function rangeStart(n: unknown): number | undefined {
  const r = (n as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

/**
 * A locator over a parsed YAML document. A path that is not in the file (a missing key) gives
 * the line of the nearest mapping that is, so "is required" points where to add it; a problem
 * of the whole file gives no line.
 */
export function yamlLocator(doc: Document, lines: LineCounter): Locate {
  const line = (offset: number | undefined) =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  return (path, key) => {
    for (let i = path.length; i > 0; i--) {
      const node = doc.getIn(path.slice(0, i) as unknown[], true);
      if (node === undefined) continue;
      if (i === path.length && key !== undefined && isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
        if (pair) return line(rangeStart(pair.key));
      }
      return line(rangeStart(node));
    }
    if (key !== undefined && isMap(doc.contents)) {
      const pair = doc.contents.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair) return line(rangeStart(pair.key));
    }
    return undefined;
  };
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  values?: unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under wrappers (optional, default, prefault, pipe…), picking a union's branch by `raw`. */
function unwrap(s: z.ZodType, raw: unknown): z.ZodType | undefined {
  for (let d = defOf(s); ; d = defOf(s)) {
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'union' && d.options) {
      const tag = d.discriminator
        ? (raw as Record<string, unknown> | undefined)?.[d.discriminator]
        : undefined;
      const hit = d.options.find((o) => {
        const lit = d.discriminator ? defOf(o).shape?.[d.discriminator] : undefined;
        return lit !== undefined && (defOf(lit).values ?? []).includes(tag);
      });
      const objects = d.options.filter((o) => defOf(o).type === 'object');
      if (!hit && objects.length !== 1) return undefined;
      s = hit ?? objects[0]!;
    } else return s;
  }
}

/** The keys the schema allows at `path` of the raw config (the branch its `type` names). */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], raw: unknown): string[] {
  let s: z.ZodType | undefined = schema;
  let value = raw;
  for (const seg of path) {
    s = s && unwrap(s, value);
    if (!s) return [];
    const d = defOf(s);
    if (d.type === 'object' && typeof seg === 'string') s = d.shape?.[seg];
    else if (d.type === 'array' && typeof seg === 'number') s = d.element;
    else return [];
    value = (value as Record<PropertyKey, unknown> | undefined)?.[seg];
  }
  const at = s && unwrap(s, value);
  return at && defOf(at).type === 'object' ? Object.keys(defOf(at).shape ?? {}) : [];
}
