/**
 * The software's version: a release's own (its bundle manifest says `0.1.0+<commit>`), or the
 * package's when run from a checkout. What `alpr --version` prints and the unit reports upstream.
 */
import { existsSync, readFileSync } from 'node:fs';

function read(rel: string): { version?: unknown } | null {
  const url = new URL(rel, import.meta.url);
  if (!existsSync(url)) return null;
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
  } catch {
    return null;
  }
}

// src/core/ and dist/core/ both sit two levels below the checkout's or the release's root
const manifest = read('../../manifest.json');
const pkg = read('../../package.json');

export const SOFTWARE_VERSION = String(
  (typeof manifest?.version === 'string' && manifest.version) || pkg?.version || 'unknown',
);
