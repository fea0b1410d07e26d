/** Reading and validating evaluation manifests (JSON Lines). */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { ManifestLine } from './score.ts';

const box = z.tuple([z.number(), z.number(), z.number().min(0), z.number().min(0)]);
const lineSchema = z.object({
  image: z.string().min(1),
  region: z.string().optional(),
  state: z.string().optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  crop: z.boolean().optional(),
  plates: z.array(z.object({ text: z.string(), box })).min(1),
});

/** Parses manifest text; throws AlprError(INPUT) naming every bad line. */
export function parseManifest(text: string, name = 'manifest'): ManifestLine[] {
  const out: ManifestLine[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const s = raw.trim();
    if (!s) return;
    try {
      const r = lineSchema.safeParse(JSON.parse(s));
      if (r.success) out.push(r.data as ManifestLine);
      else
        problems.push(
          `line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
        );
    } catch (err) {
      problems.push(`line ${i + 1}: ${(err as Error).message}`);
    }
  });
  if (problems.length > 0)
    throw new AlprError(ErrorCodes.INPUT, `${name} has ${problems.length} bad line(s)`, {
      details: problems,
    });
  return out;
}

export async function readManifest(path: string): Promise<ManifestLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AlprError(ErrorCodes.INPUT, `cannot read manifest ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseManifest(text, path);
}
