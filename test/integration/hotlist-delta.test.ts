/**
 * Delta snapshots end to end over a real mosquitto with TLS: the admin tool pushes a full list
 * then a delta against it (from its state directory); the unit applies the delta on top of its
 * base and raises late hits; deltas with a wrong base, tampered, corrupted or removing an entry
 * the base does not hold are refused and the live list kept; a unit that comes later takes the
 * retained full snapshot and then the retained delta.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deltaBody } from '../../src/hotlist/delta.ts';
import { hotlistStatus, publishedVersions } from '../../src/hotlist/push.ts';
import type { Manifest } from '../../src/hotlist/snapshot.ts';
import { hotlistRead as read } from '../helpers/hotlist-fixtures.ts';
import { type HotlistRig, type HotlistUnit, startHotlistRig, waitAck } from '../helpers/hotlist-rig.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';

describe.skipIf(!hasMosquitto)('hot-list delta snapshots over mosquitto (TLS)', () => {
  let rig: HotlistRig;
  const units: HotlistUnit[] = [];

  const csv = (name: string, plates: string[]) => {
    const f = join(rig.dir, name);
    writeFileSync(
      f,
      `plate,state,priority,case_number,reason\n${plates.map((p) => `${p},CA,3,C-${p},stolen\n`).join('')}`,
    );
    return f;
  };
  const push = (file: string, delta: boolean) =>
    rig.push(file, { delta, stateDir: join(rig.dir, 'admin-state') });

  async function startUnit(id: string) {
    const u = await rig.startUnit(id);
    units.push(u);
    return u;
  }

  /** A hand-made signed delta, so a test can get any part of it wrong. */
  function delta(o: { base: number; version: number; entries: number; removes?: string[]; adds?: string[] }) {
    const body = deltaBody({ removes: o.removes ?? [], adds: o.adds ?? [] });
    return rig.sign(body, {
      version: 2,
      id: `d-${o.version}`,
      list: 'SVS',
      listVersion: o.version,
      entries: o.entries,
      kind: 'delta',
      baseVersion: o.base,
      changes: (o.removes ?? []).length + (o.adds ?? []).length,
    });
  }

  const publishDelta = (m: Manifest | Record<string, unknown>, chunks: Buffer[]) =>
    rig.publish(m, chunks, 'delta');

  beforeAll(async () => {
    rig = await startHotlistRig('alpr-hotlist-delta-');
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('applies a delta on top of the pushed full list and raises late hits', async () => {
    const u = await startUnit('unit1');
    const full = await push(csv('v1.csv', ['AAA111', 'BBB222', 'CCC333']), false);
    await waitAck(
      u.acks,
      (a) => a.last.listVersion === full.manifest.listVersion && a.last.status === 'applied',
    );
    u.bus.emit('read', read('DDD444', [], 'r-late'));
    const d = await push(csv('v2.csv', ['AAA111', 'CCC333', 'DDD444', 'EEE555']), true);
    expect(d.delta).toEqual({ removes: 1, adds: 2 });
    expect(d.manifest).toMatchObject({
      version: 2,
      kind: 'delta',
      baseVersion: full.manifest.listVersion,
      entries: 4,
    });
    const ack = await waitAck(u.acks, (a) => a.last.listVersion === d.manifest.listVersion);
    expect(ack.last).toMatchObject({ status: 'applied', reason: null });
    expect(u.stage.lists()).toEqual([
      expect.objectContaining({ name: 'SVS', version: d.manifest.listVersion, entries: 4 }),
    ]);
    expect(u.stage.match({ plate: 'BBB222', candidates: [] })).toEqual([]);
    expect(u.stage.match({ plate: 'EEE555', candidates: [] })).toHaveLength(1);
    expect(u.stage.match({ plate: 'AAA111', candidates: [] })).toHaveLength(1);
    expect(u.hits).toEqual([expect.objectContaining({ readId: 'r-late', late: true })]);
  });

  it('refuses deltas with a wrong base, tampered, corrupted, or removing what the base lacks', async () => {
    const u = units[0]!;
    const live = u.stage.listVersion('SVS');
    const good = {
      base: live,
      version: live + 10,
      entries: 5,
      adds: ['ZZZ999,CA,SVS,3,C9,,stolen,,,,false,true,'],
    };
    const cases: [string, () => Promise<void>, RegExp][] = [
      [
        'wrong base',
        async () => {
          const { m, chunks } = delta({ ...good, base: live - 1 });
          await publishDelta(m, chunks);
        },
        /delta applies to version \d+, the live version is \d+/,
      ],
      [
        'tampered manifest (base changed after signing)',
        async () => {
          const { m, chunks } = delta({ ...good, version: live + 11 });
          await publishDelta({ ...m, baseVersion: live - 2 }, chunks);
        },
        /bad signature/,
      ],
      [
        'corrupted chunk',
        async () => {
          const { m, chunks } = delta({ ...good, version: live + 12 });
          const bad = Buffer.from(chunks[0]!);
          bad[20] = bad[20]! ^ 0xff;
          await publishDelta(m, [bad]);
        },
        /chunk 0 is corrupted/,
      ],
      [
        'removes an entry the base does not hold (its add must not stay either)',
        async () => {
          const { m, chunks } = delta({
            ...good,
            version: live + 13,
            entries: 4,
            removes: ['QQQ000,CA,SVS,3,C0,,stolen,,,,false,true,'],
          });
          await publishDelta(m, chunks);
        },
        /does not hold/,
      ],
      [
        'a wrong entry count',
        async () => {
          const { m, chunks } = delta({ ...good, version: live + 14, entries: 9 });
          await publishDelta(m, chunks);
        },
        /leaves 5 entries, its manifest says 9/,
      ],
    ];
    for (const [name, act, reason] of cases) {
      const n = u.acks.length;
      await act();
      const a = await waitAck(u.acks, (x) => u.acks.indexOf(x) >= n);
      expect(a.last.status, name).toBe('rejected');
      expect(a.last.reason, name).toMatch(reason);
      expect(u.stage.listVersion('SVS'), name).toBe(live);
      expect(u.stage.lists()[0]!.entries, name).toBe(4);
    }
    expect(u.stage.match({ plate: 'ZZZ999', candidates: [] })).toEqual([]);
    // The good one is applied.
    const { m, chunks } = delta({ ...good, version: live + 20 });
    await publishDelta(m, chunks);
    await waitAck(u.acks, (x) => x.last.listVersion === live + 20 && x.last.status === 'applied');
    expect(u.stage.match({ plate: 'ZZZ999', candidates: [] })).toHaveLength(1);
  });

  it('a unit that comes later takes the retained full, then the retained delta on top of it', async () => {
    const full = await push(csv('v3.csv', ['AAA111', 'FFF666']), false);
    const d = await push(csv('v4.csv', ['FFF666', 'GGG777']), true);
    const late = await startUnit('unit2');
    await waitAck(
      late.acks,
      (a) => a.last.listVersion === d.manifest.listVersion && a.last.status === 'applied',
    );
    // (The delta may be seen first and refused until its base is live: only the applied ones count.)
    const applied = late.acks.filter((a) => a.last.status === 'applied');
    expect(applied.map((a) => [a.last.listVersion, a.last.status])).toEqual([
      [full.manifest.listVersion, 'applied'],
      [d.manifest.listVersion, 'applied'],
    ]);
    expect(late.stage.match({ plate: 'GGG777', candidates: [] })).toHaveLength(1);
    expect(late.stage.match({ plate: 'AAA111', candidates: [] })).toEqual([]);
    // What `alpr hotlist status` shows: the latest published version (the delta), both units on it.
    const b = rig.adminBroker();
    expect((await publishedVersions(b, 300)).get('SVS')?.listVersion).toBe(d.manifest.listVersion);
    // The first unit got both too.
    await waitAck(
      units[0]!.acks,
      (a) => a.last.listVersion === d.manifest.listVersion && a.last.status === 'applied',
    );
    const acks = await hotlistStatus(b, 300);
    expect(acks.map((a) => [a.unit, a.current])).toEqual([
      ['unit1', d.manifest.listVersion],
      ['unit2', d.manifest.listVersion],
    ]);
  });
});
