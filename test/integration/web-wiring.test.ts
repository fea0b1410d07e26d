/**
 * The web stage wired the way the composition root wires it: the real health stage's lights, and
 * `alpr roster import` (in-process) filling the database the stage signs users in against.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerAuditCommands } from '../../src/commands/audit.ts';
import { registerRosterCommands } from '../../src/commands/roster.ts';
import { webSection } from '../../src/config/sections/web.ts';
import { Bus } from '../../src/core/bus.ts';
import { aesSealer, fieldSealer, plainSealer } from '../../src/domain/seal.ts';
import { HealthStage } from '../../src/health/index.ts';
import { chainRow, GENESIS, rowHash } from '../../src/web/audit.ts';
import { openWebDb } from '../../src/web/db.ts';
import { WebStage } from '../../src/web/index.ts';
import { verifyKeyedPin, verifyPin } from '../../src/web/pin.ts';
import { parseRoster } from '../../src/web/roster.ts';
import { captureLog } from '../helpers/sync-fixtures.ts';
import { client } from '../helpers/web-harness.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-web-wiring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ out: string; err: unknown }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const program = new Command('alpr').exitOverride();
  registerRosterCommands(program);
  registerAuditCommands(program);
  try {
    await program.parseAsync(['node', 'alpr', ...args]);
    return { out, err: null };
  } catch (err) {
    return { out, err };
  } finally {
    spy.mockRestore();
  }
}

describe('web stage wiring', () => {
  it('alpr roster import replaces the roster from CSV or JSON (keyed verifiers) and refuses a bad file whole', async () => {
    const db = join(tmp, 'web.sqlite');
    const keyFile = join(tmp, 'roster-store.key');
    const key = randomBytes(32);
    writeFileSync(keyFile, key.toString('hex'));
    const csv = join(tmp, 'roster.csv');
    writeFileSync(csv, 'badge,name,trained,pin,expires\nA1,Alex,true,2468,\nB2,Bo,false,1357,\n');
    expect((await cli(['roster', 'import', csv, '--db', db, '--key-file', keyFile])).out).toBe(
      'roster imported: 2 users (1 trained)\n',
    );
    const json = join(tmp, 'roster.json');
    writeFileSync(json, JSON.stringify([{ badge: 'C3', name: 'Cy', trained: true, pin: '9753' }]));
    expect((await cli(['roster', 'import', json, '--db', db, '--key-file', keyFile])).out).toBe(
      'roster imported: 1 users (1 trained)\n',
    );
    const bad = join(tmp, 'bad.csv');
    writeFileSync(bad, 'badge,name,trained,pin\nD4,Di,maybe,1\n');
    const r = await cli(['roster', 'import', bad, '--db', db, '--key-file', keyFile]);
    expect((r.err as { details: string[] }).details).toEqual([
      'user 1: trained must be true or false',
      'user 1: PIN: 4 to 12 digits',
    ]);
    const w = openWebDb(db, aesSealer(key, 'web'));
    try {
      expect(w.rosterEntry('A1')).toBeUndefined();
      // Stored as a keyed verifier: no scrypt hash in the database, the key sealed with the store key.
      const stored = w.rosterEntry('C3')!.pinHash;
      expect(stored).toMatch(/^hscrypt\$/);
      expect(await verifyPin('9753', stored)).toBe(false);
      expect(await verifyKeyedPin('9753', stored, w.rosterKey())).toBe(true);
      expect(await verifyKeyedPin('9754', stored, w.rosterKey())).toBe(false);
    } finally {
      w.close();
    }
  });

  it('alpr audit verify opens the sealed rows with the unit key, reports an intact chain, then the first bad row (exit 1)', async () => {
    const db = join(tmp, 'audit.sqlite');
    const keyFile = join(tmp, 'store.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'));
    const cipher = fieldSealer('aes-256-gcm', () => readFileSync(keyFile), 'web');
    const w = openWebDb(db, cipher);
    for (let i = 0; i < 3; i++)
      w.appendAudit({
        at: i,
        badge: 'A1',
        kind: 'search',
        detail: { plate: `QJZ${i}77`, near: { lat: 47.61234, lon: -122.33456, radiusM: 100 } },
        reason: `witness saw QJZ${i}77`,
        caseNumber: 'C',
        resultCount: i,
      });
    expect(w.recentAudit(3).map((r) => r.detail.plate)).toEqual(['QJZ277', 'QJZ177', 'QJZ077']);
    w.close();
    // At rest: no plate, no place, no reason in the file (or its WAL) in clear.
    for (const f of [db, `${db}-wal`]) {
      const bytes = existsSync(f) ? readFileSync(f).toString('latin1') : '';
      for (const secret of ['QJZ077', 'QJZ177', 'QJZ277', '47.61234', 'witness'])
        expect(bytes).not.toContain(secret);
    }
    const verify = (...more: string[]) =>
      cli(['audit', 'verify', '--db', db, '--key-file', keyFile, ...more]);
    const ok = await verify();
    expect(ok.out).toMatch(/^audit chain intact: 3 rows, head [0-9a-f]{64}\n$/);
    expect(process.exitCode).toBe(0);
    // Another key opens nothing: the first row is reported.
    const other = join(tmp, 'other.key');
    writeFileSync(other, randomBytes(32));
    expect((await cli(['audit', 'verify', '--db', db, '--key-file', other])).out).toBe(
      'AUDIT CHAIN BROKEN at row 1: its sealed content does not open (altered, or not this unit key)\n',
    );
    expect(process.exitCode).toBe(1);
    const raw = new Database(db);
    raw.exec('DROP TRIGGER audit_no_update');
    // A sealed detail moved onto another row does not open there (bound to its row).
    const d1 = raw.prepare('SELECT detail FROM audit WHERE seq = 1').pluck().get();
    raw.prepare('UPDATE audit SET detail = ? WHERE seq = 3').run(d1);
    // A clear column changed breaks the hash.
    raw.prepare('UPDATE audit SET result_count = 9 WHERE seq = 2').run();
    raw.close();
    const bad = await verify();
    expect(bad.out).toBe('AUDIT CHAIN BROKEN at row 2: its content does not match its hash (altered)\n');
    expect(process.exitCode).toBe(1);
    const raw2 = new Database(db);
    // Every open puts the append-only trigger back.
    raw2.exec('DROP TRIGGER audit_no_update');
    raw2.prepare('UPDATE audit SET result_count = 1 WHERE seq = 2').run();
    raw2.close();
    expect((await verify('--json')).out).toBe(
      `${JSON.stringify({ ok: false, rows: 3, firstBad: 3, why: 'its sealed content does not open (altered, or not this unit key)' })}\n`,
    );
    process.exitCode = 0;
  });

  it('a trail cut short, a row forged in the old clear form, a row rewritten with the hashes after it, or the head taken away: alpr audit verify finds each without the key', async () => {
    const keyFile = join(tmp, 'tamper.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'));
    const cipher = fieldSealer('aes-256-gcm', () => readFileSync(keyFile), 'web');
    const fresh = (name: string) => {
      const db = join(tmp, `${name}.sqlite`);
      const w = openWebDb(db, cipher);
      for (const [i, kind] of (['shift-check', 'hot-plate', 'search'] as const).entries())
        w.appendAudit({
          at: 1000 + i,
          badge: 'A1',
          kind,
          detail: { plate: `QJZ${i}77` },
          reason: i === 2 ? 'curious about my ex partner' : null,
          caseNumber: null,
          resultCount: i,
        });
      w.close();
      return db;
    };
    const verify = async (db: string) =>
      (await cli(['audit', 'verify', '--db', db, '--key-file', keyFile])).out.trim();
    const canon = (v: unknown): string =>
      v === null || typeof v !== 'object'
        ? (JSON.stringify(v) ?? 'null')
        : `{${Object.keys(v as object)
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
            .join(',')}}`;
    /** What a tamperer without the key can do to the file: drop the triggers, change rows. */
    const tamper = (db: string, fn: (raw: Database.Database) => void) => {
      const raw = new Database(db);
      raw.exec('DROP TRIGGER IF EXISTS audit_no_delete; DROP TRIGGER IF EXISTS audit_no_update;');
      fn(raw);
      raw.close();
    };
    /** A row in the clear form an older version wrote (accepted as legacy), chained after `prev`. */
    const forged = (raw: Database.Database, seq: number, prev: string) => {
      const e = {
        seq,
        at: 1002,
        badge: 'A1',
        kind: 'search',
        detail: { plate: '7ABC123' },
        reason: 'stolen vehicle follow up',
        caseNumber: 'C-2026-0042',
        resultCount: 0,
      };
      const hash = createHash('sha256').update(prev).update(canon(e)).digest('hex');
      raw
        .prepare(
          'INSERT INTO audit (seq, at, badge, kind, detail, reason, case_number, result_count, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          seq,
          e.at,
          e.badge,
          e.kind,
          JSON.stringify(e.detail),
          e.reason,
          e.caseNumber,
          e.resultCount,
          prev,
          hash,
        );
      return hash;
    };
    const intact = fresh('intact');
    expect(await verify(intact)).toMatch(/^audit chain intact: 3 rows/);
    // the search's row removed from the end
    const cut = fresh('cut');
    tamper(cut, (raw) => raw.prepare('DELETE FROM audit WHERE seq = 3').run());
    expect(await verify(cut)).toBe(
      'AUDIT CHAIN BROKEN at row 3: the trail ends at row 2 but its sealed head is row 3 (rows removed or rewritten at its end)',
    );
    expect(process.exitCode).toBe(1);
    // …and a row of the tamperer's own put in its place, in the old clear form
    const forgedAt = fresh('forged');
    tamper(forgedAt, (raw) => {
      const prev = raw.prepare('SELECT prev_hash FROM audit WHERE seq = 3').pluck().get() as string;
      raw.prepare('DELETE FROM audit WHERE seq = 3').run();
      forged(raw, 3, prev);
    });
    expect(await verify(forgedAt)).toBe(
      'AUDIT CHAIN BROKEN at row 3: it is not sealed with its hash as every row before it is (written into the file)',
    );
    // a middle row rewritten, and every hash after it computed again
    const rewritten = fresh('rewritten');
    tamper(rewritten, (raw) => {
      const rows = raw.prepare('SELECT seq, prev_hash, hash FROM audit ORDER BY seq').all() as {
        seq: number;
        hash: string;
      }[];
      raw.prepare('DELETE FROM audit WHERE seq >= 2').run();
      let prev = rows[0]!.hash;
      for (const seq of [2, 3]) prev = forged(raw, seq, prev);
    });
    expect(await verify(rewritten)).toMatch(/^AUDIT CHAIN BROKEN at row 2: /);
    // the head taken away
    const headless = fresh('headless');
    tamper(headless, (raw) => raw.prepare('DELETE FROM audit_head').run());
    expect(await verify(headless)).toBe(
      "AUDIT CHAIN BROKEN at row 4: the trail's sealed head is missing (rows removed?)",
    );
    // a row's hash column changed to match a rewritten content is not the one sealed with it
    const swapped = fresh('swapped');
    tamper(swapped, (raw) => raw.prepare('UPDATE audit SET hash = ? WHERE seq = 3').run('0'.repeat(64)));
    expect(await verify(swapped)).toBe(
      'AUDIT CHAIN BROKEN at row 3: its hash is not the one sealed with it (rewritten)',
    );
    process.exitCode = 0;
  });

  it('seals what an older version wrote in clear on the first open with the key; the chain still verifies', () => {
    const db = join(tmp, 'legacy.sqlite');
    const w = openWebDb(db);
    // An older version's rows: detail and reason as text, no salt, notes in clear.
    const row = chainRow(null, {
      at: 1,
      badge: 'A1',
      kind: 'search',
      detail: { plate: 'QJZ9LEG' },
      reason: 'old reason',
      caseNumber: 'C',
      resultCount: 0,
      salt: undefined,
    });
    const { salt: _salt, ...legacy } = row;
    const legacyRow = { ...legacy, hash: rowHash(GENESIS, { ...legacy }) };
    w.db
      .prepare(
        'INSERT INTO audit (seq, at, badge, kind, detail, reason, case_number, result_count, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        1,
        1,
        'A1',
        'search',
        JSON.stringify(legacyRow.detail),
        'old reason',
        'C',
        0,
        GENESIS,
        legacyRow.hash,
      );
    w.db
      .prepare(
        "INSERT INTO hit_actions (hit_id, at, badge, action, from_state, to_state, reason, note) VALUES ('h1', 1, 'A1', 'reject', 'new', 'rejected', 'misread', 'plate was QJZ9NOTE')",
      )
      .run();
    w.close();
    expect(readFileSync(db).toString('latin1')).toContain('QJZ9LEG');
    const cipher = aesSealer(randomBytes(32), 'web');
    const m = openWebDb(db, cipher);
    try {
      expect(m.verifyAudit()).toMatchObject({ ok: true, rows: 1 });
      expect(m.recentAudit(1)[0]).toMatchObject({ detail: { plate: 'QJZ9LEG' }, reason: 'old reason' });
      expect(m.hitStates(['h1']).get('h1')?.note).toBe('plate was QJZ9NOTE');
      m.appendAudit({
        at: 2,
        badge: 'A1',
        kind: 'sign-in',
        detail: {},
        reason: null,
        caseNumber: null,
        resultCount: null,
      });
      expect(m.verifyAudit()).toMatchObject({ ok: true, rows: 2 });
    } finally {
      m.close();
    }
    for (const f of [db, `${db}-wal`]) {
      const bytes = existsSync(f) ? readFileSync(f).toString('latin1') : '';
      expect(bytes).not.toContain('QJZ9LEG');
      expect(bytes).not.toContain('QJZ9NOTE');
      expect(bytes).not.toContain('old reason');
    }
  });

  it("shows the real health stage's lights and pushes their changes", async () => {
    const bus = new Bus();
    const log = captureLog().log;
    const health = new HealthStage({ bus, log, expected: { gps: true, server: false, cameras: true } });
    const web = new WebStage({
      bus,
      log,
      config: webSection.parse({ port: 0 }),
      dataDir: join(tmp, 'unit'),
      mode: 'car',
      cipher: plainSealer('web'),
      lights: () => health.snapshot(),
      onLights: (fn) => health.onChange(fn),
      healthReports: () => health.body().components,
    });
    await health.start();
    // Reported before the web stage starts: it still shows it.
    bus.emit('health', {
      component: 'hotlist',
      light: 'amber',
      reason: 'SVS is 13.0 h old (at most 12 h)',
      at: Date.now(),
    });
    await web.start();
    try {
      const c = client(`http://127.0.0.1:${web.port}`);
      const before = await c.call('/api/lights');
      expect(before.data.allGreen).toBe(false);
      expect(before.data.hotlist).toMatchObject({
        light: 'amber',
        reason: 'SVS is 13.0 h old (at most 12 h)',
      });
      expect(before.data.lights.gps.reasons).toEqual(['starting: checking', 'gps: not reported yet']);
      health.settle();
      bus.emit('health', { component: 'camera:front', light: 'green', reason: 'ok', at: Date.now() });
      bus.emit('health', { component: 'gps', light: 'red', reason: 'no fix for 120 s', at: Date.now() });
      const after = await c.call('/api/lights');
      expect(after.data.lights.gps).toEqual({ light: 'red', reasons: ['gps: no fix for 120 s'] });
      expect(after.data.lights.cameras.light).toBe('green');
      expect(after.data.lights.server).toEqual({ light: 'green', reasons: ['server: not configured'] });
      // Car mode: nobody signed in keeps the system light amber; signing in and out moves it.
      expect(after.data.lights.system.reasons).toContain(
        'operator: no operator signed in (sign in on the in-car page)',
      );
      web.applyRoster(await parseRoster('badge,name,trained,pin\nA1,Al,true,2468\n', 'csv'));
      expect((await c.call('/api/signin', { badge: 'A1', pin: '2468' })).status).toBe(200);
      expect(health.snapshot().system.reasons).not.toContain(
        'operator: no operator signed in (sign in on the in-car page)',
      );
      await c.call('/api/signout', {});
      expect(health.snapshot().system.light).toBe('amber');
    } finally {
      await web.stop();
      await health.stop();
    }
  });
});
