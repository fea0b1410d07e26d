/**
 * The audit trail's chain checked in batches (what the page's GET /api/audit runs), on a real
 * SQLite file: the same verdict as the one-pass check for an intact trail and for each kind of
 * tampering, wherever it falls against the batch edges, with the event loop free between batches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { aesSealer } from '../../src/domain/seal.ts';
import { openWebDb, type WebDb } from '../../src/web/db.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpr-audit-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = aesSealer(Buffer.alloc(32, 9), 'web');

function trail(name: string, rows: number): { db: WebDb; file: string } {
  const file = join(dir, `${name}.sqlite`);
  const db = openWebDb(file, KEY);
  for (let i = 0; i < rows; i++)
    db.appendAudit({
      at: 1_700_000_000_000 + i,
      badge: 'B7',
      kind: 'search',
      detail: { plate: `7ABC${100 + i}` },
      reason: 'stolen vehicle report',
      caseNumber: 'C-1',
      resultCount: i,
    });
  return { db, file };
}

/** Alters the file behind the page's back, as someone with the SD card would. */
function tamper(file: string, sql: string): void {
  const raw = new Database(file);
  const triggers = raw
    .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'")
    .all() as {
    name: string;
  }[];
  for (const t of triggers) raw.exec(`DROP TRIGGER "${t.name}"`);
  raw.exec(sql);
  raw.close();
}

describe('audit chain checked in batches', () => {
  it('agrees with the one-pass check: intact, altered, missing, slipped in, unopenable', async () => {
    const cases: [string, string, number][] = [
      ['altered in the 3rd batch', 'UPDATE audit SET result_count = 0 WHERE seq = 8', 8],
      ['missing at a batch edge', 'DELETE FROM audit WHERE seq = 7', 8],
      ['altered first row', 'UPDATE audit SET case_number = NULL WHERE seq = 1', 1],
      [
        'a row slipped in before the first',
        'INSERT INTO audit SELECT 0, at, badge, kind, detail, reason, case_number, result_count, prev_hash, hash FROM audit WHERE seq = 1',
        0,
      ],
      [
        'a row whose sealed content does not open',
        "UPDATE audit SET detail = x'00112233' WHERE seq = 10",
        10,
      ],
    ];
    const intact = trail('intact', 12);
    expect(intact.db.verifyAudit()).toMatchObject({ ok: true, rows: 12 });
    expect(await intact.db.verifyAuditInBatches(3)).toEqual(intact.db.verifyAudit());
    for (const [name, sql, firstBad] of cases) {
      const t = trail(name.replace(/\W+/g, '-'), 12);
      tamper(t.file, sql);
      const once = t.db.verifyAudit();
      expect(once, name).toMatchObject({ ok: false, firstBad });
      for (const batch of [1, 3, 6, 100]) expect(await t.db.verifyAuditInBatches(batch), name).toEqual(once);
    }
  });

  it('lets other work run between batches, and callers meanwhile share one check', async () => {
    const t = trail('yield', 40);
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const verdict = await t.db.verifyAuditInBatches(4);
    ticking = false;
    expect(verdict).toMatchObject({ ok: true, rows: 40 });
    // 10 batches of 4: the loop turned between them
    expect(turns).toBeGreaterThanOrEqual(9);
    const a = t.db.verifyAuditShared();
    const b = t.db.verifyAuditShared();
    expect(b).toBe(a);
    expect(await a).toMatchObject({ ok: true, rows: 40 });
    expect(t.db.verifyAuditShared()).not.toBe(a);
  });
});
