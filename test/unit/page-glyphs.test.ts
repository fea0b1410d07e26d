/**
 * The car's page is drawn with the fonts a unit has (DejaVu, no colour emoji): a character beyond
 * the Basic Multilingual Plane (where emoji live) or an emoji presentation selector shows as an
 * empty box, as the "sound off" warning once did.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PUBLIC = join(import.meta.dirname, '../../src/web/public');

describe("the officer's page uses only glyphs the unit's fonts have", () => {
  it.each(readdirSync(PUBLIC).filter((f) => /\.(html|js|css)$/.test(f)))('%s', (file) => {
    const text = readFileSync(join(PUBLIC, file), 'utf8');
    const found = [...text].filter((ch) => ch.codePointAt(0)! > 0xffff || ch === '\ufe0f');
    expect(found).toEqual([]);
  });
});
