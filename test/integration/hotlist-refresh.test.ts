/**
 * The unit's refresh of its retained hot-list manifests over a real mosquitto (TLS): each refresh
 * reads every retained manifest again. A snapshot refused for a missing chunk is fetched again and
 * applies once the chunk is there; a snapshot whose signed rows the store refused is not
 * acknowledged again while the live version stands (hotlist-refused-again.test.ts: nor downloaded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../src/hotlist/snapshot.ts';
import {
  type HotlistRig,
  type HotlistUnit,
  snapshotRows,
  startHotlistRig,
  waitAck,
} from '../helpers/hotlist-rig.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { rng } from '../support/prng.ts';

const REFRESH_MS = 700;

describe.skipIf(!hasMosquitto)('hot-list manifests read again by the refresh (mosquitto, TLS)', () => {
  let rig: HotlistRig;
  let unit: HotlistUnit;

  beforeAll(async () => {
    rig = await startHotlistRig('alpr-hotlist-refresh-');
    unit = await rig.startUnit('unit1', { refresh: { minMs: REFRESH_MS, maxMs: REFRESH_MS } });
  });

  afterAll(async () => {
    await rig?.close();
  });

  /** A snapshot body of `list` holding `plates` (store rows: plate, state, list, priority, …). */
  const of = (list: string) => (a: Ack) => a.list === list;

  it('applies a truncated snapshot once its chunk arrives, and does not re-ack a refused one', async () => {
    const { acks } = unit;
    // A signed snapshot with a bad row inside: refused by the store.
    const bad = rig.sign(snapshotRows('SVS', ['GOOD1', 'X']), {
      id: 'bad-row',
      list: 'SVS',
      listVersion: 5,
      entries: 2,
    });
    await rig.publish(bad.m, bad.chunks);
    const refused = await waitAck(acks, of('SVS'));
    expect(refused.last).toMatchObject({ status: 'rejected', listVersion: 5 });
    expect(refused.last.reason).toMatch(/snapshot line 3 is bad/);

    // A good snapshot of another list whose last chunk is not on the broker yet: truncated.
    // random serials: a body of several 4-KiB chunks even gzipped
    const r = rng(7);
    const glyph = () => r.pick([...'ABCDEFGHJKLMNPRSTUVWXYZ0123456789']);
    const plates = Array.from(
      { length: 3000 },
      (_, i) => `${glyph()}${glyph()}${String(i).padStart(4, '0')}${glyph()}`,
    );
    const good = rig.sign(snapshotRows('LPR', plates), {
      id: 'lpr-1',
      list: 'LPR',
      listVersion: 3,
      entries: plates.length,
    });
    expect(good.chunks.length).toBeGreaterThan(1);
    await rig.publish(good.m, [...good.chunks.slice(0, -1), null]);
    const truncated = await waitAck(acks, of('LPR'));
    expect(truncated.last).toMatchObject({ status: 'rejected', listVersion: 3 });
    expect(truncated.last.reason).toMatch(/truncated/);

    // The missing chunk alone, its manifest not sent again: only a refresh can apply it.
    await rig.publishChunks(
      good.m,
      good.chunks.map((b, i) => (i === good.chunks.length - 1 ? b : null)),
    );
    await waitAck(acks, (a) => of('LPR')(a) && a.last.status === 'applied', 15_000);
    expect(unit.stage.listVersion('LPR')).toBe(3);
    expect(unit.stage.match({ plate: plates[2999]!, candidates: [] })).toHaveLength(1);

    // Refreshes went on reading the bad-row manifest all along: it was acknowledged once.
    await new Promise((r) => setTimeout(r, 3 * REFRESH_MS));
    expect(acks.filter(of('SVS'))).toHaveLength(1);
    expect(unit.stage.listVersion('SVS')).toBe(0);
  }, 40_000);
});
