/**
 * A unit whose store takes a while to apply a list (a state list of millions of rows) while the
 * refresh of its retained manifests brings the same version again (its live version still the old
 * one), over a real mosquitto (TLS). Before, the refresh fetched the body a second time, applied it
 * after the first went live, and acknowledged that second apply as "rejected: not newer", so
 * `alpr hotlist status` showed a list that had applied as refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ack, topics } from '../../src/hotlist/snapshot.ts';
import {
  AGENCY,
  BASE,
  type HotlistRig,
  snapshotRows,
  startHotlistRig,
  waitAck,
} from '../helpers/hotlist-rig.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/sync-fixtures.ts';

const REFRESH_MS = 700;

describe.skipIf(!hasMosquitto)('a hot-list version seen again while it applies (mosquitto, TLS)', () => {
  let rig: HotlistRig;

  beforeAll(async () => {
    rig = await startHotlistRig('alpr-hotlist-slow-');
  });

  afterAll(async () => {
    await rig?.close();
  });

  const of = (list: string) => (a: Ack) => a.list === list;

  it('is neither fetched again nor refused as not newer: applied once, acknowledged once', async () => {
    let applies = 0;
    const slow = await rig.startUnit('unit2', {
      refresh: { minMs: REFRESH_MS, maxMs: REFRESH_MS },
      target: {
        listVersion: (list: string) => slow.stage.listVersion(list),
        applyVersion: async (meta, entries) => {
          applies++;
          await new Promise((r) => setTimeout(r, 4 * REFRESH_MS));
          return slow.stage.applyVersion(meta, entries);
        },
      },
    });
    const snap = rig.sign(snapshotRows('SFR', ['SFR001', 'SFR002']), {
      id: 'sfr-9',
      list: 'SFR',
      listVersion: 9,
      entries: 2,
    });
    await rig.publish(snap.m, snap.chunks);
    await waitFor(() => applies === 1, 10_000, 'the apply to start');
    // while it runs, the manifest and its chunks come again, as a refresh brings them
    slow.sub.receive(topics.manifest(BASE, AGENCY, 'SFR'), Buffer.from(JSON.stringify(snap.m)));
    snap.chunks.forEach((c, i) => {
      slow.sub.receive(topics.chunk(BASE, AGENCY, 'SFR', 9, i), c);
    });
    await waitAck(slow.acks, (a) => of('SFR')(a) && a.last.status === 'applied', 15_000);
    // (longer than an apply: a second one would have answered by now)
    await new Promise((r) => setTimeout(r, 6 * REFRESH_MS));
    expect(applies).toBe(1);
    expect(slow.acks.filter(of('SFR')).map((a) => a.last.status)).toEqual(['applied']);
    expect(slow.stage.listVersion('SFR')).toBe(9);
  }, 40_000);
});
