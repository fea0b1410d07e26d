import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import { ErrorCodes } from '../../src/domain/errors.ts';
import type { HealthReport, Hit } from '../../src/domain/types.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import { HotlistStore } from '../../src/hotlist/store.ts';
import { hotlistEntry, hotlistRead as read } from '../helpers/hotlist-fixtures.ts';
import { aesSealer } from '../../src/domain/seal.ts';
import type { CtcScorer } from '../../src/hotlist/evidence.ts';
import { ctcLogProb } from '../../src/recognize/ctc.ts';
import { spell } from '../helpers/ctc-evidence.ts';

/** Hot-list rows sealed as on a unit (a fixed test key). */
const TEST_SEALER = aesSealer(Buffer.alloc(32, 7), 'hotlist');

const dir = mkdtempSync(join(tmpdir(), 'alpr-hotlist-stage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger({ level: 'silent' });
const H = 3600_000;

function setup(
  name: string,
  hotlist: Record<string, unknown> = {},
  clock = { t: Date.now() },
  pollMs?: number,
  scoreText?: CtcScorer,
) {
  const bus = new Bus();
  const hits: Hit[] = [];
  const health: HealthReport[] = [];
  bus.on('hit', (h) => hits.push(h));
  bus.on('health', (h) => health.push(h));
  const config = configSchema.shape.hotlist.parse(hotlist);
  const stage = new HotlistStage({
    sealer: TEST_SEALER,
    bus,
    log,
    config,
    dbPath: join(dir, `${name}.db`),
    now: () => clock.t,
    pollMs,
    scoreText,
  });
  return { bus, hits, health, stage, clock };
}

describe('HotlistStage', () => {
  it('is red with no list, loads seed CSVs, emits hits for exact and look-alike reads', async () => {
    const csv = join(dir, 'seed.csv');
    writeFileSync(
      csv,
      'plate,state,priority,case_number,reason,expires\n' +
        '7ABC123,CA,2,C-1,stolen vehicle,\n' +
        'BAD PLATE TOO LONG,CA,,,,\n' +
        `OLD999,,,C-2,old,${new Date(Date.now() - H).toISOString()}\n` +
        '8XY*12,,,C-3,partial from witness,\n',
    );
    const empty = setup('empty');
    await empty.stage.start();
    expect(empty.health.at(-1)).toMatchObject({ component: 'hotlist', light: 'red' });
    await empty.stage.stop();

    const { bus, hits, health, stage } = setup('seeded', { seedCsv: [{ list: 'SVS', path: csv }] });
    await stage.start();
    expect(stage.critical).toBe(true);
    expect(health.at(-1)).toMatchObject({ light: 'green' });
    expect(stage.lists()[0]).toMatchObject({ name: 'SVS', entries: 3 });
    bus.emit('read', read('7ABC123'));
    bus.emit('read', read('7A8C123')); // B read as 8
    bus.emit('read', read('NOPE12'));
    bus.emit('read', read('OLD999')); // expired
    bus.emit('read', read('8XYQ12'));
    expect(
      hits.map((h) => [h.plate, h.match.entryPlate, h.match.approximate, h.match.substitutions]),
    ).toEqual([
      ['7ABC123', '7ABC123', false, []],
      ['7A8C123', '7ABC123', true, [2]],
      ['8XYQ12', '8XY*12', true, [3]],
    ]);
    const h = hits[0]!;
    expect(h).toMatchObject({ readId: 'r-7ABC123', cameraId: 'front', late: false, direction: null });
    expect(h.match).toMatchObject({ list: 'SVS', priority: 2, caseNumber: 'C-1', reason: 'stolen vehicle' });
    expect(h.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    const v1 = stage.listVersion('SVS');
    expect(v1).toBeGreaterThan(0);
    await stage.stop();
    // A second start with the same file does not re-import (same version).
    const again = setup('seeded', { seedCsv: [{ list: 'SVS', path: csv }] });
    await again.stage.start();
    expect(again.stage.listVersion('SVS')).toBe(v1);
    await again.stage.stop();
  });

  it('refuses a seed file whose every row is bad: the list loaded before stays, the light names the file', async () => {
    const csv = join(dir, 'seed-turns-bad.csv');
    writeFileSync(csv, 'plate,state,priority\n7ABC123,CA,1\n');
    const first = setup('seed-turns-bad', { seedCsv: [{ list: 'SVS', path: csv }] });
    await first.stage.start();
    expect(first.stage.lists()[0]).toMatchObject({ name: 'SVS', entries: 1 });
    await first.stage.stop();
    // the file is overwritten by one whose rows all fail (a wrong export)
    writeFileSync(csv, 'plate,state,priority\nNOT A PLATE!,CA,1\n7ABC124,CA,urgent\n');
    const again = setup('seed-turns-bad', { seedCsv: [{ list: 'SVS', path: csv }] });
    await again.stage.start();
    expect(again.stage.lists()[0]).toMatchObject({ name: 'SVS', entries: 1 });
    const light = again.health.at(-1)!;
    expect(light.light).toBe('amber');
    expect(light.reason).toBe(`seed SVS not loaded: none of the 2 rows of ${csv} is valid (line 2: plate)`);
    again.bus.emit('read', read('7ABC123'));
    expect(again.hits.map((h) => h.plate)).toEqual(['7ABC123']);
    await again.stage.stop();
    // on a unit with no list yet, the light is red and says both
    const empty = join(dir, 'seed-header-only.csv');
    writeFileSync(empty, 'plate,state\n');
    const fresh = setup('seed-empty', { seedCsv: [{ list: 'SVS', path: empty }] });
    await fresh.stage.start();
    expect(fresh.stage.lists()).toEqual([]);
    expect(fresh.health.at(-1)).toMatchObject({
      light: 'red',
      reason: `no hot list loaded; seed SVS not loaded: ${empty} holds no rows`,
    });
    // the list arrives another way (signed sync): the light is about that list now, not the seed
    await fresh.stage.applyVersion({ list: 'SVS', version: 5, issuedAt: fresh.clock.t }, [
      hotlistEntry('7ABC123', { priority: 1, caseNumber: 'C', reason: 'r' }),
    ]);
    expect(fresh.health.at(-1)).toMatchObject({ light: 'green', reason: '1 list(s) current' });
    await fresh.stage.stop();
  });

  it('raises late hits when a list version arrives, only for reads within the window', async () => {
    const clock = { t: 1_000_000_000_000 };
    const { bus, hits, stage } = setup('late', { recheckMinutes: 30 }, clock);
    await stage.start();
    bus.emit('read', read('OLDREAD', [], 'r-old'));
    clock.t += 31 * 60_000;
    bus.emit('read', read('9ZZZ999', [], 'r-1'));
    bus.emit('read', read('5SS555', ['XXXX'], 'r-2'));
    expect(hits).toEqual([]);
    const e = (plate: string) => hotlistEntry(plate, { priority: 1, caseNumber: 'C', reason: 'r' });
    await stage.applyVersion({ list: 'SVS', version: 2, issuedAt: clock.t }, [e('9ZZZ999'), e('OLDREAD')]);
    expect(hits.map((h) => [h.readId, h.late])).toEqual([['r-1', true]]);
    // A newer version with the same entry raises nothing new; a new entry does.
    await stage.applyVersion({ list: 'SVS', version: 3, issuedAt: clock.t }, [e('9ZZZ999'), e('XXXX')]);
    expect(hits.map((h) => [h.readId, h.late, h.match.candidateIndex])).toEqual([
      ['r-1', true, 0],
      ['r-2', true, 1],
    ]);
    await stage.stop();
  });

  it('keeps at most recheckMaxReads recent reads, the newest, for late hits', async () => {
    const clock = { t: 1_100_000_000_000 };
    const { bus, hits, stage } = setup('late-cap', { recheckMinutes: 30, recheckMaxReads: 3 }, clock);
    await stage.start();
    for (let i = 0; i < 10; i++) bus.emit('read', read(`1CAP${i}00`, [], `r-${i}`));
    expect(stage.recentReads).toBe(3);
    const e = (plate: string) => hotlistEntry(plate, { priority: 1, caseNumber: 'C', reason: 'r' });
    await stage.applyVersion({ list: 'SVS', version: 1, issuedAt: clock.t }, [e('1CAP000'), e('1CAP900')]);
    // The oldest read fell out of the buffer; the newest is matched late.
    expect(hits.map((h) => [h.readId, h.late])).toEqual([['r-9', true]]);
    await stage.stop();
  });

  it('turns amber when a state list is older than 12 h or a special list older than 24 h', async () => {
    const clock = { t: 2_000_000_000_000 };
    const { health, stage } = setup('ages', {}, clock);
    const f = join(dir, 'ages.db');
    const s = new HotlistStore(f, { sealer: TEST_SEALER });
    await s.applyVersion({ list: 'SVS', version: 1, issuedAt: clock.t - 11 * H }, []);
    await s.applyVersion({ list: 'SPECIAL', version: 1, issuedAt: clock.t - 23 * H }, []);
    s.close();
    await stage.start();
    expect(health.at(-1)?.light).toBe('green');
    await stage.stop();
    clock.t += 2 * H;
    await stage.start();
    expect(health.at(-1)).toMatchObject({ light: 'amber' });
    expect(health.at(-1)?.reason).toMatch(/SVS is 13\.0 h old/);
    expect(health.at(-1)?.reason).toMatch(/SPECIAL is 25\.0 h old/);
    await stage.stop();
  });

  it('adds officer hot plates with capped expiry and matches them at once (late hit)', async () => {
    const clock = { t: Date.now() };
    const { bus, hits, stage } = setup('officer', {}, clock);
    await stage.start();
    bus.emit('read', read('HOT123', [], 'r-h'));
    expect(() =>
      stage.addOfficerPlate({
        plate: 'HOT123',
        reason: 'x',
        inStateSystems: true,
        expires: clock.t + 25 * H,
        caseNumber: 'C',
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.HOTLIST_ENTRY }));
    stage.addOfficerPlate({
      plate: 'HOT 123',
      reason: 'armed robbery',
      xref: 'X1',
      inStateSystems: true,
      expires: clock.t + 24 * H,
    });
    expect(hits.map((h) => [h.readId, h.late, h.match.list])).toEqual([['r-h', true, 'LOCAL']]);
    expect(stage.officerPlates()).toEqual([
      expect.objectContaining({ plate: 'HOT123', xref: 'X1', reason: 'armed robbery', list: 'LOCAL' }),
    ]);
    bus.emit('read', read('HOT123', [], 'r-h2'));
    expect(hits).toHaveLength(2);
    clock.t += 24 * H + 1;
    bus.emit('read', read('HOT123', [], 'r-h3'));
    expect(hits).toHaveLength(2);
    expect(stage.officerPlates()).toEqual([]);
    await stage.stop();
  });

  it('picks up a list changed by another process (the CLI) and raises late hits', async () => {
    const { bus, hits, stage } = setup('poll', {}, { t: Date.now() }, 50);
    await stage.start();
    bus.emit('read', read('CLI777', [], 'r-c'));
    const other = new HotlistStore(join(dir, 'poll.db'), { sealer: TEST_SEALER });
    other.addEntry({
      list: 'LOCAL',
      plate: 'CLI777',
      raw: 'CLI777',
      state: null,
      priority: 3,
      caseNumber: 'C',
      xref: null,
      reason: 'r',
      officerName: null,
      officerPhone: null,
      synopsis: null,
      informational: false,
      shareable: true,
      source: 'officer',
      created: Date.now(),
      expires: Date.now() + H,
    });
    other.close();
    const until = Date.now() + 5000;
    while (hits.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(hits.map((h) => [h.readId, h.late, h.match.list])).toEqual([['r-c', true, 'LOCAL']]);
    await stage.stop();
  });

  it('a possible hit needs more evidence where the lists hold much of its shape', async () => {
    const score: CtcScorer = (ev, t) => ctcLogProb(ev.probs, ev.T, ev.K, t);
    // The read: AB128, and AB123 at 20% (the last glyph); the list holds AB123.
    const frames = [[spell('AB128', 0.8, { 4: '3' })]];
    const input = read('AB128', ['AB128', 'AB123']);
    const header = 'plate,state,priority,case_number,reason,expires\n';
    const sparse = join(dir, 'sparse.csv');
    writeFileSync(sparse, `${header}AB123,,1,C-9,stolen,\n7ABC123,,1,C-1,stolen,\n`);
    // 20,000 other plates of two letters and three digits: 3.8% of all such texts
    const dense = join(dir, 'dense.csv');
    const rows: string[] = [];
    for (let i = 0; rows.length < 20_000; i++) {
      const t = `${'ABCDEFGHJKLMNPRSTUVWXYZ'[i % 23]}${'ABCDEFGHJKLMNPRSTUVWXYZ'[Math.floor(i / 23) % 23]}${String(Math.floor(i / 529) % 1000).padStart(3, '0')}`;
      if (t !== 'AB123' && t !== 'AB128') rows.push(`${t},,5,,,`);
    }
    writeFileSync(dense, `${header}AB123,,1,C-9,stolen,\n${rows.join('\n')}\n`);
    const a = setup(
      'shape-sparse',
      { seedCsv: [{ list: 'SVS', path: sparse }] },
      undefined,
      undefined,
      score,
    );
    await a.stage.start();
    const m = a.stage.match(input, frames);
    expect(m.map((x) => [x.entryPlate, x.level])).toEqual([['AB123', 'possible']]);
    expect(m[0]!.probability).toBeCloseTo(0.2, 2);
    await a.stage.stop();
    const b = setup('shape-dense', { seedCsv: [{ list: 'SVS', path: dense }] }, undefined, undefined, score);
    await b.stage.start();
    expect(b.stage.lists()[0]?.entries).toBe(20_001);
    // 0.2 < 10 × 3.8%: on such a list one misread in 26 of that shape lands on some entry
    expect(b.stage.match(input, frames)).toEqual([]);
    // a read that is sure of AB123 is still confirmed there
    const sure = b.stage.match(read('AB123'), [[spell('AB123', 1)]]);
    expect(sure.map((x) => [x.entryPlate, x.level])).toEqual([['AB123', 'confirmed']]);
    await b.stage.stop();
  });
});
