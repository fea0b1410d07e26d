/**
 * Hot-list files come from admins' exports, hand edits and the broker: seeded fuzz of the CSV and
 * delta readers. Bad rows are refused one by one with a line number, bad bodies with an error, and
 * every entry that gets through can be matched and stored.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isAlprError } from '../../src/domain/errors.ts';
import { CSV_COLUMNS, type CsvError, csvEntries, splitCsvLine } from '../../src/hotlist/csv.ts';
import { DELTA_HEADER, deltaChanges } from '../../src/hotlist/delta.ts';
import type { HotlistEntry } from '../../src/hotlist/match.ts';
import type { Manifest } from '../../src/hotlist/snapshot.ts';
import { snapshotEntries } from '../../src/hotlist/subscriber.ts';
import { junk, NASTY_FIELDS, nastyField, type Rng, rng } from '../support/prng.ts';

const CASES = 800;
const ctx = { list: 'SVS', now: 1_700_000_000_000, source: 'test' };

function field(r: Rng): string {
  const v = r.bool(0.5)
    ? r.pick(['ABC123', '7XYZ890', 'CA', '5', 'true', '2030-01-01T00:00:00Z', 'SVS'])
    : nastyField(r);
  if (r.bool(0.1)) return `"${v.replace(/"/g, '""')}"`;
  if (r.bool(0.03)) return `"${v}`; // unterminated quote
  if (r.bool(0.03)) return `"${v}"x`; // text after a closing quote
  return v.replace(/,/g, '');
}

function header(r: Rng): string {
  if (r.bool(0.05)) return junk(r, 40);
  const cols = CSV_COLUMNS.filter((c) => c === 'plate' || r.bool(0.5));
  return cols.join(',');
}

function entryProblem(e: HotlistEntry): string | null {
  if (!/^[A-Z0-9*]{2,8}$/.test(e.plate)) return 'plate';
  if (!Number.isInteger(e.priority) || e.priority < 1 || e.priority > 9) return 'priority';
  if (e.state !== null && !/^[A-Z]{2}$/.test(e.state)) return 'state';
  if (e.list !== ctx.list) return 'list';
  if (e.expires !== null && !Number.isFinite(e.expires)) return 'expires';
  return null;
}

describe('hot-list CSV is total', () => {
  it(`${CASES} seeded files: rows accepted sane or refused with a line number; only a bad header throws`, async () => {
    let accepted = 0;
    let refused = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const head = header(r);
      const n = head.split(',').length;
      const lines = [head];
      for (let i = r.int(0, 12); i > 0; i--) {
        const width = r.bool(0.9) ? n : r.int(0, n + 3);
        lines.push(r.bool(0.05) ? junk(r, 80) : Array.from({ length: width }, () => field(r)).join(','));
      }
      const errors: CsvError[] = [];
      try {
        for await (const e of csvEntries(lines, ctx, (err) => errors.push(err))) {
          const problem = entryProblem(e);
          if (problem) throw new Error(`seed ${seed}: ${problem} of ${JSON.stringify(e)}`);
          accepted++;
        }
      } catch (err) {
        // Only the header may stop a file, and only as a coded error.
        if (!isAlprError(err)) throw err;
        expect(err.message, `seed ${seed}`).toMatch(/^line 1:|empty file/);
      }
      for (const e of errors) expect(e.line >= 2 && e.line <= lines.length, `seed ${seed}`).toBe(true);
      refused += errors.length;
    }
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(100);
  });

  it('splitCsvLine throws only plain Errors with a reason (csvEntries turns them into refusals)', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const line = Array.from({ length: r.int(0, 8) }, () => field(r)).join(r.pick([',', ',', ';']));
      try {
        expect(Array.isArray(splitCsvLine(line))).toBe(true);
      } catch (err) {
        expect((err as Error).message).toMatch(/quote/);
      }
    }
  });

  it.each(NASTY_FIELDS.map((v) => [v]))('expires %j is a date or a refusal', async (v) => {
    const errors: CsvError[] = [];
    const got: HotlistEntry[] = [];
    for await (const e of csvEntries(['plate,expires', `ABC123,${v}`], ctx, (e) => errors.push(e)))
      got.push(e);
    expect(got.length + errors.length).toBe(1);
    for (const e of got) expect(entryProblem(e)).toBeNull();
  });
});

describe('gzipped snapshot and delta bodies are total', () => {
  const manifest = { list: 'SVS', issuedAt: ctx.now, keyId: 'k', entries: 3 } as Manifest;

  it('random and truncated bodies end in an Error, never a hang or a throw elsewhere', async () => {
    const good = gzipSync('plate\nABC123\nXYZ789\nQQ11\n');
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const body = r.bool(0.5)
        ? good.subarray(0, r.int(0, good.length - 1))
        : Buffer.from(Array.from({ length: r.int(0, 200) }, () => r.int(0, 255)));
      const entries = (async () => {
        for await (const _ of snapshotEntries(body, manifest));
      })();
      await expect(entries, `seed ${seed}`).rejects.toBeInstanceOf(Error);
      await expect(deltaChanges(body, ctx, 1), `seed ${seed}`).rejects.toBeInstanceOf(Error);
    }
  });

  it(`${CASES} seeded delta bodies: changes are sane or the delta is refused`, async () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const lines = [r.bool(0.9) ? DELTA_HEADER : junk(r, 30)];
      for (let i = r.int(0, 6); i > 0; i--) {
        const op = r.pick(['+', '-', '+', '*', '']);
        lines.push(
          `${op},${Array.from({ length: CSV_COLUMNS.length }, () => (r.bool(0.7) ? '' : field(r))).join(',')}`,
        );
      }
      const body = gzipSync(`${lines.join('\n')}\n`);
      try {
        const changes = await deltaChanges(body, ctx, r.int(0, 7));
        for (const c of changes) expect(entryProblem(c.entry), `seed ${seed}`).toBeNull();
      } catch (err) {
        expect(err, `seed ${seed}`).toBeInstanceOf(Error);
      }
    }
  });
});
