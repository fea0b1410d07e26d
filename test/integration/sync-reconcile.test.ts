/**
 * Reconciliation through a real mosquitto: the unit's store and sync stages (as the daemon wires
 * them) and the reference receiver. Records the broker acknowledged to the unit but the server
 * does not have (taken out of the receiver's store here, as a broker that skips deliveries leaves
 * them) are asked for again by the receiver from the unit's tally and sent again by the unit;
 * nothing is asked for while the store has everything; a command repeated at once is not obeyed.
 */
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { StoreStage } from '../../src/store/index.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { payloads, topics } from '../../src/sync/topics.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, makeHit, makeRead, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto)
  console.warn('sync-reconcile: skipped, mosquitto not installed (apt-get install mosquitto)');

/**
 * The unit's clock runs 2 minutes ahead of the store's: a tally counts records acknowledged at
 * least a minute before it (the last ones may still be on their way), and the test need not wait.
 */
const AHEAD_MS = 120_000;

describe.skipIf(!hasMosquitto)('reconciliation: the server asks again for what it lacks', () => {
  let rig: SyncRig;
  let sink: CentralSink;
  let store: StoreStage;
  let sync: SyncStage;
  const bus = new Bus();
  const cap = captureLog();
  const resends: { from: number; to: number; reads: number; hits: number }[] = [];

  beforeAll(async () => {
    rig = await startSyncRig({
      prefix: 'alpr-reconcile-',
      sinkOptions: () => ({
        resendAfterMs: 1500,
        tallyMinGapMs: 500,
        onResend: (r) => resends.push({ from: r.from, to: r.to, reads: r.reads, hits: r.hits }),
      }),
    });
    sink = rig.sink;
    // A resend command left retained on the broker: the unit gets it when it subscribes, and must
    // take it for the leftover it is, not a request (the first test sees no resend obeyed).
    const stale = await mqtt.connectAsync(rig.broker.url);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await stale.publishAsync(
      topics('alpr', UNIT).resendCommand,
      JSON.stringify(payloads.resend(UNIT, hour, hour + 3_600_000)),
      {
        qos: 1,
        retain: true,
      },
    );
    await stale.endAsync();
    ({ store, sync } = await rig.stages({
      bus,
      log: cap.log,
      sync: { tallyIntervalS: 1 },
      wire: (st) => ({ reconcile: st.reconcile(), healthIntervalMs: 200, now: () => Date.now() + AHEAD_MS }),
    }));
  });

  afterAll(async () => {
    await rig?.close();
  });

  const reads = Array.from({ length: 30 }, (_, i) => makeRead(i));
  const hits = reads.slice(0, 3).map((r) => makeHit(r));

  it('sends tallies and asks for nothing while the store has every record', async () => {
    await waitFor(() => sync.isConnected, 10_000, 'connect');
    for (const r of reads) bus.emit('read', r);
    for (const h of hits) bus.emit('hit', h);
    await waitFor(() => sink.counts().records >= 33, 15_000, 'the records');
    await waitFor(() => store.outbox().depth() === 0, 5000, 'outbox to drain');
    const before = sink.stats.tallies;
    // three tallies at least, spanning more than the receiver's settling time
    await waitFor(() => sink.stats.tallies >= before + 3, 10_000, 'tallies');
    expect(sink.stats.resends).toBe(0);
    expect(sync.reconcileStats?.resends).toBe(0);
    expect(cap.text()).toContain('retained on the broker');
    expect(sink.counts().byType).toEqual({ read: 30, hit: 3 });
  });

  it('gets back reads and hits the unit had delivered but the store lost', async () => {
    const lost = [reads[4]!.id, reads[11]!.id, reads[29]!.id];
    const db = new Database(rig.sinkFile);
    const del = db.prepare('DELETE FROM records WHERE type = ? AND id = ?');
    for (const id of lost) del.run('read', id);
    del.run('hit', hits[1]!.id);
    db.close();
    expect(sink.counts().byType).toEqual({ read: 27, hit: 2 });
    await waitFor(() => sink.counts().records === 33, 20_000, 'the lost records to come back');
    expect(new Set(sink.ids('read'))).toEqual(new Set(reads.map((r) => r.id)));
    expect(new Set(sink.ids('hit'))).toEqual(new Set(hits.map((h) => h.id)));
    // one hour asked for, once, saying what the store lacked
    expect(resends.length).toBe(1);
    const hour = Math.floor(Date.parse(reads[0]!.capturedAt) / 3_600_000) * 3_600_000;
    expect(resends[0]).toEqual({ from: hour, to: hour + 3_600_000, reads: 3, hits: 1 });
    expect(sync.reconcileStats?.resends).toBe(1);
    // the whole hour went again: the records the store had count as duplicates, never twice
    expect(sync.reconcileStats?.requeued).toBe(33);
    await waitFor(() => store.outbox().depth() === 0, 10_000, 'outbox to drain again');
    expect(sink.counts().duplicates).toBe(30 - 3 + 3 - 1);
    expect(sink.counts().conflicts).toBe(0);
    // the records are held as delivered again: the next tallies ask for nothing more
    const t = sink.stats.tallies;
    await waitFor(() => sink.stats.tallies >= t + 3, 10_000, 'tallies');
    expect(resends.length).toBe(1);
  });

  it('does not obey the same window twice within 10 minutes, nor a malformed command', async () => {
    const client = await mqtt.connectAsync(rig.broker.url);
    try {
      const topic = topics('alpr', UNIT).resendCommand;
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      const before = sync.reconcileStats!.resends;
      const rejected = sync.rejects.total;
      const cmd = JSON.stringify(payloads.resend(UNIT, hour - 3_600_000, hour));
      await client.publishAsync(topic, cmd, { qos: 1 });
      await waitFor(() => sync.reconcileStats!.resends === before + 1, 5000, 'the first command');
      // the same window again: a second receiver's ask, expected, not a warning
      await client.publishAsync(topic, cmd, { qos: 1 });
      const bad = { type: 'resend', version: 1, id: 'x', agency: UNIT.agency, unit: UNIT.id, from: 0, to: 1 };
      await client.publishAsync(topic, JSON.stringify(bad), { qos: 1 });
      await waitFor(() => sync.rejects.total === rejected + 1, 5000, 'the malformed command refused');
      // both arrived (in order): the repeat was taken and not obeyed, and not counted as a refusal
      await new Promise((r) => setTimeout(r, 300));
      expect(sync.reconcileStats!.resends).toBe(before + 1);
      expect(sync.rejects.total).toBe(rejected + 1);
      expect(sync.rejects.last).toBe('resend command ignored: window older than 31 days');
      expect(cap.text()).toContain('the same window was sent again less than 10 minutes ago');
    } finally {
      await client.endAsync();
    }
  });

  it('counts a hostile tally as malformed and asks nothing for it', async () => {
    const client = await mqtt.connectAsync(rig.broker.url);
    try {
      const topic = topics('alpr', { agency: UNIT.agency, id: 'rogue-1' }).tally;
      const h = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      const before = sink.counts().malformed;
      const resent = sink.stats.resends;
      const tally = (hours: unknown) =>
        JSON.stringify({
          type: 'tally',
          version: 1,
          id: 't',
          agency: UNIT.agency,
          unit: 'rogue-1',
          sentAt: 0,
          hours,
        });
      // newest first; an hour twice; 73 hours; a count past ten million
      await client.publishAsync(
        topic,
        tally([
          { from: h, reads: 5, hits: 0 },
          { from: h - 3_600_000, reads: 5, hits: 0 },
        ]),
        { qos: 1 },
      );
      await client.publishAsync(
        topic,
        tally([
          { from: h, reads: 5, hits: 0 },
          { from: h, reads: 6, hits: 0 },
        ]),
        { qos: 1 },
      );
      await client.publishAsync(
        topic,
        tally(Array.from({ length: 73 }, (_, i) => ({ from: h - (73 - i) * 3_600_000, reads: 1, hits: 0 }))),
        { qos: 1 },
      );
      await client.publishAsync(topic, tally([{ from: h, reads: 1e8, hits: 0 }]), { qos: 1 });
      await waitFor(() => sink.counts().malformed === before + 4, 5000, 'four malformed tallies');
      expect(sink.stats.resends).toBe(resent);
    } finally {
      await client.endAsync();
    }
  });
});
