import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { StoreStage } from '../../src/store/index.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import { hotPlateRecord } from '../../src/sync/records.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { type Broker, hasMosquitto } from '../helpers/mosquitto.ts';
import { auditRecord, captureLog, makeHit, makeRead, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto) console.warn('sync-records: skipped, mosquitto not installed (apt-get install mosquitto)');

const hitState = (n: number) => ({
  id: `hit-state:h${n}:1`,
  kind: 'hit-state',
  body: {
    hitId: `h${n}`,
    from: 'new',
    state: 'rejected',
    action: 'reject',
    by: 'B12',
    at: 1_700_000_000_000 + n,
    reason: 'misread',
    note: null,
  },
});
const audit = auditRecord;

describe.skipIf(!hasMosquitto)('sync drains the record queue through a real mosquitto', () => {
  let rig: SyncRig;
  let broker: Broker;
  let sink: CentralSink;
  let store: StoreStage;
  let sync: SyncStage;
  const bus = new Bus();
  const cap = captureLog();
  const sinkFile = () => rig.sinkFile;

  beforeAll(async () => {
    rig = await startSyncRig();
    ({ broker, sink } = rig);
    ({ store, sync } = await rig.stages({
      bus,
      log: cap.log,
      wire: (st) => ({ records: st.records(), healthIntervalMs: 200 }),
    }));
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('delivers a hit-state record, an audit row and a hot plate exactly once, on their own topics', async () => {
    await waitFor(() => sync.isConnected, 10_000, 'connect');
    const q = store.records();
    expect(q.put(hitState(1))).toBe(true);
    expect(q.put(audit(1))).toBe(true);
    const entry = { plate: 'ABC123', state: 'CA', created: 1_700_000_000_000, list: 'LOCAL', reason: 'x' };
    const plateRecord = hotPlateRecord(entry, (t) => Buffer.from(t).toString('hex'));
    expect(q.put(plateRecord)).toBe(true);
    await waitFor(() => sink.counts().records >= 3, 10_000, 'three records at the sink');
    await waitFor(() => q.depth() === 0, 5000, 'record queue to drain');
    const c = sink.counts();
    expect(c.byType).toEqual({ 'hit-state': 1, audit: 1, 'hot-plate': 1 });
    expect(c.duplicates).toBe(0);
    expect(sink.ids('hit-state')).toEqual(['hit-state:h1:1']);
    expect(sink.ids('hot-plate')).toEqual([plateRecord.id]);
    // The payload carries the body as queued, the record's id as envelope id, on `<root>/<kind>`.
    const db = new Database(sinkFile(), { readonly: true });
    const row = db.prepare("SELECT payload FROM records WHERE type = 'audit'").pluck().get() as string;
    db.close();
    const p = JSON.parse(row);
    expect(p).toMatchObject({ type: 'audit', id: 'audit:1', kind: 'audit', agency: 'metro', unit: 'unit-7' });
    expect(p.body).toEqual(audit(1).body);
    // Queued again after it was delivered (every start queues the officer's hot plates again): the
    // server gets the same record, a duplicate, never a conflict.
    await new Promise((r) => setTimeout(r, 20));
    expect(q.put(hotPlateRecord(entry, (t) => Buffer.from(t).toString('hex')))).toBe(true);
    await waitFor(() => sink.counts().duplicates === 1, 10_000, 'the copy at the sink');
    expect(sink.counts().conflicts).toBe(0);
  });

  it('queues records while the broker is down and sends them after hits, before reads, exactly once', async () => {
    const before = sink.counts().records;
    await broker.stop();
    await waitFor(() => !sync.isConnected, 10_000, 'disconnect');
    const reads = Array.from({ length: 30 }, (_, i) => makeRead(2000 + i));
    for (const r of reads) bus.emit('read', r);
    const hits = reads.slice(0, 3).map((r) => makeHit(r));
    for (const h of hits) bus.emit('hit', h);
    const q = store.records();
    for (let i = 2; i < 6; i++) q.put(hitState(i));
    for (let i = 2; i < 6; i++) q.put(audit(i));
    expect(q.put(audit(2))).toBe(false); // already queued
    expect(q.depth()).toBe(8);
    await broker.start();
    await waitFor(() => sink.counts().records >= before + 41, 30_000, 'backlog to drain').catch((e) => {
      console.log(sink.counts(), q.depth(), sync.stats, cap.text().slice(-2000));
      throw e;
    });
    await waitFor(() => q.depth() === 0, 5000, 'record queue to drain');
    const arrival = sink.arrivalTypes().slice(before);
    expect(arrival.slice(0, 3)).toEqual(['hit', 'hit', 'hit']);
    expect(new Set(arrival.slice(3, 11))).toEqual(new Set(['hit-state', 'audit']));
    expect(arrival.slice(11).every((t) => t === 'read')).toBe(true);
    const c = sink.counts();
    expect(c.byType['hit-state']).toBe(5);
    expect(c.byType['audit']).toBe(5);
    expect(c.duplicates).toBe(1); // the hot plate queued again above
    expect(c.conflicts).toBe(0);
  });

  it('a record put while connected wakes the drain at once', async () => {
    const t0 = Date.now();
    store.records().put(hitState(99));
    await waitFor(() => sink.ids('hit-state').includes('hit-state:h99:1'), 5000, 'woken drain');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(cap.text()).not.toContain('ABC123');
  });
});
