import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { StoreStage } from '../../src/store/index.ts';
import { captureLog, makeHit, makeRead, storeConfig, tempDirs } from '../helpers/sync-fixtures.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function openStore(over: Record<string, unknown> = {}) {
  const dirs = tempDirs();
  const bus = new Bus();
  const store = new StoreStage({
    bus,
    log: captureLog().log,
    config: storeConfig(over),
    dataDir: dirs.data,
    credentialsDir: dirs.creds,
  });
  await store.start();
  cleanup.push(async () => {
    await store.stop();
    rmSync(dirs.root, { recursive: true, force: true });
  });
  return { store, bus, dirs };
}

describe('store: decrypting search and image fetch', () => {
  for (const encryption of ['aes-256-gcm', 'none']) {
    it(`finds reads by whole plate, partial plate and time range (${encryption})`, async () => {
      const { store, bus } = await openStore(encryption === 'none' ? { encryption: 'none' } : {});
      const t0 = Date.parse('2026-11-20T10:00:00Z');
      for (let i = 0; i < 50; i++) bus.emit('read', makeRead(i % 10, t0 + i * 60_000));
      const s = store.search();
      // plateFor(3) = ZQX0003: reads 3, 13, 23, 33, 43.
      const exact = await s.search({ plate: 'zqx-0003', limit: 100 });
      expect(exact.map((r) => r.capturedAt)).toEqual(
        [43, 33, 23, 13, 3].map((i) => new Date(t0 + i * 60_000).toISOString()),
      );
      expect(await s.search({ plate: 'ZQX0003', limit: 2 })).toHaveLength(2);
      expect(await s.search({ plate: 'ZQX000', limit: 100 })).toHaveLength(0);
      // Partial: "0003" in the plate; candidates count too ("ZQX0008" is the alternative of every read).
      expect(await s.search({ plate: '0003', partial: true, limit: 100 })).toHaveLength(5);
      expect(await s.search({ plate: 'X0008', partial: true, limit: 100 })).toHaveLength(50);
      const window = await s.search({
        plate: 'ZQX',
        partial: true,
        from: t0 + 10 * 60_000,
        to: t0 + 19 * 60_000,
        limit: 100,
      });
      expect(window).toHaveLength(10);
      expect(await s.search({ from: t0, to: t0 + 4 * 60_000, limit: 100 })).toHaveLength(5);
      // By place: every fixture read is at 47.6097, -122.3331.
      const here = { lat: 47.6097, lon: -122.3331 };
      expect(await s.search({ near: { ...here, radiusM: 50 }, limit: 100 })).toHaveLength(50);
      expect(
        await s.search({ near: { lat: 47.62, lon: -122.3331, radiusM: 1000 }, limit: 100 }),
      ).toHaveLength(0);
      expect(await s.search({ plate: 'ZQX0003', near: { ...here, radiusM: 50 }, limit: 3 })).toHaveLength(3);
    });
  }

  it('gives back recent hits decrypted, newest first, since a time', async () => {
    const { store, bus } = await openStore();
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    const hits = [0, 1, 2].map((i) => makeHit(makeRead(i, t0 + i * 1000)));
    for (const h of hits) bus.emit('hit', h);
    expect(store.hitHistory().recent(t0 + 1000, 10)).toEqual([hits[2], hits[1]]);
    expect(store.hitHistory().recent(0, 1)).toEqual([hits[2]]);
  });

  it('queues other records for the server: sealed at rest, idempotent by id, in order, acked away', async () => {
    const { store, dirs } = await openStore();
    const q = store.records();
    let woken = 0;
    const off = q.onPut(() => woken++);
    expect(q.put({ id: 'r1', kind: 'audit', body: { query: 'ZQX7777' } })).toBe(true);
    expect(q.put({ id: 'r1', kind: 'audit', body: { query: 'other' } })).toBe(false);
    expect(q.put({ id: 'r2', kind: 'hit-state', body: { state: 'rejected' } })).toBe(true);
    off();
    q.put({ id: 'r3', kind: 'shift-check', body: { allGreen: true } });
    expect(woken).toBe(2);
    const all = q.peek(10);
    expect(all.map((r) => [r.id, r.kind, r.body])).toEqual([
      ['r1', 'audit', { query: 'ZQX7777' }],
      ['r2', 'hit-state', { state: 'rejected' }],
      ['r3', 'shift-check', { allGreen: true }],
    ]);
    expect(q.peek(10, all[0]!.seq).map((r) => r.id)).toEqual(['r2', 'r3']);
    q.ack([all[0]!.seq, all[1]!.seq, 999]);
    expect(q.depth()).toBe(1);
    expect(q.peek(10).map((r) => r.id)).toEqual(['r3']);
    const f = `${dirs.data}/reads.sqlite`;
    const bytes = Buffer.concat([f, `${f}-wal`].filter(existsSync).map((p) => readFileSync(p)));
    expect(bytes.includes('ZQX7777')).toBe(false);
  });

  it('gives back stored images decrypted, null for none', async () => {
    const { store, bus } = await openStore();
    const r = makeRead(1);
    bus.emit('read', r);
    const jpeg = Buffer.from('\xff\xd8fake-jpeg', 'latin1');
    store.putImage(r.id, 'plate', jpeg);
    expect(store.images().image(r.id, 'plate')).toEqual(jpeg);
    expect(store.images().image(r.id, 'overview')).toBeNull();
    expect(store.images().image('nope', 'plate')).toBeNull();
  });
});
