import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdminPublicKey } from '../../src/provision/apply.ts';
import { adminKeyId } from '../../src/provision/plan.ts';
import { runCli } from '../helpers/cli.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpr-hotlist-cli-'));
const db = join(dir, 'hotlist.sqlite');
const key = join(dir, 'store.key');
writeFileSync(key, 'cd'.repeat(32));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alpr hotlist (unit side)', () => {
  it('import refuses bad rows with line numbers, then loads with --skip-bad', () => {
    const f = join(dir, 'l.csv');
    writeFileSync(f, 'plate,state,reason\n7ABC123,CA,stolen\n7ABC12345,CA,x\n6XYZ777,California,x\n');
    const bad = runCli(['hotlist', 'import', '--db', db, '--key-file', key, '--list', 'SVS', '--file', f]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('2 bad row(s)');
    expect(bad.stderr).toContain('line 3: plate');
    expect(bad.stderr).toContain('line 4: state');
    const ok = runCli([
      'hotlist',
      'import',
      '--db',
      db,
      '--key-file',
      key,
      '--list',
      'SVS',
      '--file',
      f,
      '--skip-bad',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/SVS version \d+: 1 entries \(2 bad rows skipped\)/);
    const check = runCli(['hotlist', 'check', '--db', db, '--key-file', key, '7A8C123']);
    expect(JSON.parse(check.stdout.trim())).toMatchObject({
      list: 'SVS',
      approximate: true,
      substitutions: [2],
    });
  });

  it('import refuses a file with a header and no rows, keeping the list; --allow-empty empties it', () => {
    const f = join(dir, 'header-only.csv');
    writeFileSync(f, 'plate,state\n');
    const args = ['hotlist', 'import', '--db', db, '--key-file', key, '--list', 'SVS', '--file', f];
    const refused = runCli(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('holds no rows: SVS is kept as it is');
    const check = () => runCli(['hotlist', 'check', '--db', db, '--key-file', key, '7ABC123']).stdout.trim();
    expect(JSON.parse(check())).toMatchObject({ list: 'SVS' });
    const emptied = runCli([...args, '--allow-empty']);
    expect(emptied.stdout).toMatch(/SVS version \d+: 0 entries/);
    expect(check()).not.toContain('SVS');
    // put the list back for the tests below
    const back = join(dir, 'back.csv');
    writeFileSync(back, 'plate,state,reason\n7ABC123,CA,stolen\n');
    expect(runCli([...args.slice(0, -1), back]).code).toBe(0);
  });

  it('add caps expiry and requires case number or XREF and a reason', () => {
    const base = ['hotlist', 'add', '--db', db, '--key-file', key, '--plate', 'HOT 1'];
    const missing = runCli([...base, '--expires', '2h']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('case number or XREF: one is required');
    expect(missing.stderr).toContain('reason: required');
    const long = runCli([...base, '--case', 'C1', '--reason', 'r', '--in-state-systems', '--expires', '25h']);
    expect(long.stderr).toContain('expires: at most 24 hours');
    const ok = runCli([
      ...base,
      '--xref',
      'XR-77Q4-ALPHA',
      '--reason',
      'r',
      '--expires',
      '30d',
      '--officer',
      'Ofc. A',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('added to LOCAL');
    const lists = runCli(['hotlist', 'lists', '--db', db, '--key-file', key]);
    expect(lists.stdout).toMatch(/LOCAL .* 1 entries/);
    expect(lists.stdout).toMatch(/SVS .* 1 entries/);
  });

  it('another key is refused with a coded error; the file holds no plate or reason in clear', () => {
    const other = join(dir, 'other.key');
    writeFileSync(other, 'ef'.repeat(32));
    const wrong = runCli(['hotlist', 'lists', '--db', db, '--key-file', other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/sealed with another key/);
    expect(wrong.stderr).toContain('ALPR_E_HOTLIST_KEY');
    const bytes = readFileSync(db);
    // texts long enough not to turn up in sealed bytes by chance (a 2-byte one would, in ~100 kB)
    for (const text of ['7ABC123', 'HOT1', 'stolen', 'Ofc. A', 'XR-77Q4-ALPHA'])
      expect(bytes.includes(text), text).toBe(false);
  });
});

describe.skipIf(!hasMosquitto)('alpr hotlist keygen / push / status (plain mosquitto)', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => destroyMosquitto(broker));

  it('pushes a signed list and reports no unit yet', () => {
    const key = join(dir, 'admin.key');
    const kg = runCli(['hotlist', 'keygen', '--out', key]);
    expect(kg.stdout).toMatch(/publicKey: [A-Za-z0-9+/]{43}=/);
    // the public key beside it, as provision reads it and under the id it pins and push sends
    const pub = join(dir, 'admin.pub');
    expect(kg.stdout).toContain(`--admin-key ${pub} pins it on a unit as id "admin"`);
    expect(kg.stdout).toContain(`push with:   --key ${key} --key-id admin`);
    expect(kg.stdout).toContain(`publicKey: ${readAdminPublicKey(pub)} }`);
    expect(adminKeyId(pub)).toBe('admin');
    // a second keygen onto a name in use overwrites neither file, and writes none
    const other = join(dir, 'second.key');
    writeFileSync(join(dir, 'second.pub'), 'OLD-PUBLIC-KEY\n');
    const taken = runCli(['hotlist', 'keygen', '--out', other]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`${join(dir, 'second.pub')} exists already: keygen overwrites no key`);
    expect(existsSync(other)).toBe(false);
    const f = join(dir, 'push.csv');
    writeFileSync(f, 'plate,reason\nAAA111,x\nBBB222,y\n');
    const b = ['--url', broker.url, '--agency', 'pd1'];
    const state = ['--state-dir', join(dir, 'admin-state')];
    const push = runCli([
      'hotlist',
      'push',
      ...b,
      '--list',
      'sfr',
      '--file',
      f,
      '--key',
      key,
      '--key-id',
      'a1',
      ...state,
    ]);
    expect(push.stdout).toMatch(
      /SFR version \d+: 2 entries, 1 chunk\(s\), \d+ bytes compressed, signed by a1/,
    );
    writeFileSync(f, 'plate,reason\nAAA111,x\nCCC333,z\nDDD444,w\n');
    const delta = runCli([
      ...['hotlist', 'push', ...b, ...state, '--delta'],
      ...['--list', 'SFR', '--file', f, '--key', key, '--key-id', 'a1'],
    ]);
    expect(delta.stderr).toBe('');
    expect(delta.stdout).toMatch(/SFR version \d+: delta from \d+, 1 removed, 2 added \(3 entries\)/);
    const noState = runCli([
      ...['hotlist', 'push', ...b, '--state-dir', join(dir, 'empty-state'), '--delta'],
      ...['--list', 'SFR', '--file', f, '--key', key, '--key-id', 'a1'],
    ]);
    expect(noState.code).toBe(1);
    expect(noState.stderr).toContain('push a full snapshot (without --delta)');
    const again = runCli([
      ...['hotlist', 'push', ...b],
      '--list',
      'SFR',
      '--file',
      f,
      '--key',
      key,
      '--list-version',
      '5',
      ...state,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not newer than the published');
    const st = runCli(['hotlist', 'status', ...b]);
    expect(st.stdout).toContain('no unit has acknowledged');
    expect(st.stdout).toMatch(/published SFR\s+\d+\s+0\.0 h old/);
  });
});
