/**
 * Signed hot-list sync end to end over a real mosquitto with TLS (test CA made by openssl):
 * admin push of 5,000 rows → unit verify/apply/ack; tampered, unsigned, unknown-key,
 * corrupted, truncated and replayed-older snapshots are refused and the live list kept.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/core/bus.ts';
import type { Hit } from '../../src/domain/types.ts';
import { CSV_COLUMNS } from '../../src/hotlist/csv.ts';
import type { HotlistStage } from '../../src/hotlist/index.ts';
import { buildSnapshotBody, generateAdminKey, hotlistStatus } from '../../src/hotlist/push.ts';
import type { Ack, Manifest } from '../../src/hotlist/snapshot.ts';
import { hotlistRead } from '../helpers/hotlist-fixtures.ts';
import { captureLog } from '../helpers/sync-fixtures.ts';
import { type HotlistRig, startHotlistRig, waitAck } from '../helpers/hotlist-rig.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';

describe.skipIf(!hasMosquitto)('hot-list signed sync over mosquitto (TLS)', () => {
  let rig: HotlistRig;
  let dir: string;
  let stage: HotlistStage;
  let bus: Bus;
  let hits: Hit[];
  let acks: Ack[];
  const rogue = generateAdminKey();

  const csvOf = (name: string, rows: number, prefix: string) => {
    const f = join(dir, name);
    let t = 'plate,state,priority,case_number,reason\n';
    for (let i = 0; i < rows; i++)
      t += `${prefix}${String(i).padStart(4, '0')},CA,${1 + (i % 9)},N${i},stolen\n`;
    writeFileSync(f, t);
    return f;
  };

  /** Publishes a hand-made snapshot: lets a test tamper with any part of it. */
  const publishRaw = (m: Manifest | Record<string, unknown>, chunks: (Buffer | null)[]) =>
    rig.publish(m, chunks);

  async function snapshot(list: string, file: string, version: number, key?: string) {
    const { body, entries } = await buildSnapshotBody(file, list, version);
    return rig.sign(body, { id: `id-${version}`, list, listVersion: version, entries }, key);
  }

  beforeAll(async () => {
    rig = await startHotlistRig('alpr-hotlist-sync-');
    dir = rig.dir;
    ({ stage, bus, hits, acks } = await rig.startUnit('unit1'));
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('pushes 5,000 rows end to end: verified, applied, acknowledged, late hit raised', async () => {
    bus.emit('read', hotlistRead('SV0042', [], 'r1'));
    const file = csvOf('svs.csv', 5000, 'SV');
    const progress: number[] = [];
    const { manifest } = await rig.push(file, { onProgress: (_p, done) => progress.push(done) });
    expect(manifest.entries).toBe(5000);
    const ack = await waitAck(acks, (a) => a.last.listVersion === manifest.listVersion);
    expect(ack.last).toMatchObject({ status: 'applied', reason: null });
    expect(stage.lists()).toEqual([
      expect.objectContaining({ name: 'SVS', version: manifest.listVersion, entries: 5000 }),
    ]);
    expect(hits).toEqual([expect.objectContaining({ readId: 'r1', late: true })]);
    expect(stage.match({ plate: 'SV4999', candidates: [] })).toHaveLength(1);
    expect(progress.length).toBeGreaterThan(0);
    const status = await hotlistStatus(rig.adminBroker(), 500);
    expect(status.map((s) => [s.unit, s.list, s.current])).toEqual([['unit1', 'SVS', manifest.listVersion]]);
  });

  it('refuses a bad CSV with line numbers unless --skip-bad', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'plate,priority\nGOOD1,1\nX,1\nGOOD2,12\n');
    await expect(buildSnapshotBody(f, 'SVS', 1)).rejects.toMatchObject({
      details: ['line 3: plate: "X" must have 2-8 letters/digits', 'line 4: priority: "12" is not 1-9'],
    });
    const ok = await buildSnapshotBody(f, 'SVS', 1, true);
    expect(ok.entries).toBe(1);
  });

  it('refuses to push a list with no good row (it would empty every unit) unless --allow-empty', async () => {
    const before = stage.lists().find((l) => l.name === 'SVS')!;
    expect(before.entries).toBeGreaterThan(0);
    const headerOnly = join(dir, 'empty.csv');
    writeFileSync(headerOnly, 'plate,priority\n');
    await expect(rig.push(headerOnly)).rejects.toMatchObject({
      code: 'ALPR_E_HOTLIST_CSV',
      message: expect.stringContaining('holds no rows: nothing was sent'),
    });
    const allBad = join(dir, 'allbad.csv');
    writeFileSync(allBad, 'plate,priority\nX,1\nY,1\n');
    await expect(rig.push(allBad, { skipBad: true })).rejects.toMatchObject({
      message: expect.stringContaining('holds no good rows (2 bad)'),
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(stage.lists().find((l) => l.name === 'SVS')).toEqual(before);
    // on purpose, it goes
    const { manifest } = await rig.push(headerOnly, { allowEmpty: true });
    await waitAck(acks, (a) => a.last.listVersion === manifest.listVersion);
    expect(stage.lists().find((l) => l.name === 'SVS')?.entries).toBe(0);
  });

  it('refuses tampered, unsigned, foreign-key, corrupted, truncated and older snapshots', async () => {
    const live = stage.listVersion('SVS');
    const file = csvOf('svs2.csv', 300, 'NW');
    const v = live + 10;
    const cases: [string, () => Promise<void>, RegExp][] = [
      [
        'tampered manifest',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v);
          await publishRaw({ ...m, entries: m.entries + 1 }, chunks);
        },
        /bad signature/,
      ],
      [
        'unsigned',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v);
          const { sig: _sig, ...rest } = m;
          await publishRaw(rest, chunks);
        },
        /unsigned/,
      ],
      [
        'signed by a key that is not pinned',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v, rogue.privateKeyPem);
          await publishRaw(m, chunks);
        },
        /bad signature/,
      ],
      [
        'corrupted chunk',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v + 1);
          const bad = Buffer.from(chunks[0]!);
          bad[100] = bad[100]! ^ 0xff;
          await publishRaw(m, [bad, ...chunks.slice(1)]);
        },
        /chunk 0 is corrupted/,
      ],
      [
        'truncated (a chunk never arrives)',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, v + 2);
          await publishRaw(m, [...chunks.slice(0, -1), null]);
        },
        /truncated: \d+ of \d+ chunks/,
      ],
      [
        'signed, but a bad row inside (and a wrong count)',
        async () => {
          const body = gzipSync(`${CSV_COLUMNS.join(',')}\nGOOD1,,SVS,1,,,,,,,,,\nX,,SVS,1,,,,,,,,,\n`);
          const { m, chunks } = rig.sign(body, {
            id: 'bad-row',
            list: 'SVS',
            listVersion: v + 3,
            issuedAt: v,
            entries: 2,
          });
          await publishRaw(m, chunks);
        },
        /snapshot line 3 is bad \(plate\)/,
      ],
      [
        'replayed older version',
        async () => {
          const { m, chunks } = await snapshot('SVS', file, live - 1);
          await publishRaw(m, chunks);
        },
        /older than the live version/,
      ],
    ];
    for (const [name, act, reason] of cases) {
      const n = acks.length;
      await act();
      const a = await waitAck(acks, (x) => acks.indexOf(x) >= n);
      expect(a.last.status, name).toBe('rejected');
      expect(a.last.reason, name).toMatch(reason);
      expect(stage.listVersion('SVS'), name).toBe(live);
    }
    expect(stage.match({ plate: 'NW0001', candidates: [] })).toEqual([]);
    // A good, newer snapshot after all that is applied.
    const { m, chunks } = await snapshot('SVS', file, v + 4);
    await publishRaw(m, chunks);
    await waitAck(acks, (x) => x.last.listVersion === v + 4 && x.last.status === 'applied');
    expect(stage.match({ plate: 'NW0001', candidates: [] })).toHaveLength(1);
    expect(stage.match({ plate: 'SV0001', candidates: [] })).toEqual([]);
  });

  it('a flood of refused snapshots is acknowledged each, logged once and counted', async () => {
    const cap = captureLog('info');
    const u2 = await rig.startUnit('unit2', { log: cap.log });
    const file = csvOf('flood.csv', 3, 'FL');
    const base = stage.listVersion('SVS') + 100;
    const { m, chunks } = await snapshot('SVS', file, base);
    const { sig: _sig, ...unsigned } = m;
    for (let i = 0; i < 40; i++) await publishRaw({ ...unsigned, listVersion: base + i }, chunks);
    await expect
      .poll(() => u2.acks.filter((a) => a.last.status === 'rejected').length, { timeout: 20_000 })
      .toBe(40);
    const lines = cap.lines().filter((l) => l['msg'] === 'hot-list snapshot rejected; current list kept');
    expect(lines).toHaveLength(1);
    expect(String(lines[0]!['reason'])).toMatch(/^SVS v\d+: unsigned/);
    expect(u2.sub.refusals.total).toBe(40);
  });
});
