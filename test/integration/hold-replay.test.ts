/**
 * Evidence holds cannot be replayed: a signed hold or release seen on the broker (the server
 * certificate reads every command) and sent again changes nothing. Each command applies once and in
 * the order its admin issued it for the case; a broker's second delivery of the same command is
 * answered (0 changed) without a warning. Real mosquitto, the unit's real store and sync stages.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSection } from '../../src/config/sections/store.ts';
import { Bus } from '../../src/core/bus.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { signHoldCommand, topics } from '../../src/sync/topics.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, makeRead, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

const ADMIN = generateAdminKey();

if (!hasMosquitto) console.warn('hold-replay: skipped, mosquitto not installed (apt-get install mosquitto)');

describe.skipIf(!hasMosquitto)('hold commands sent again', () => {
  let rig: SyncRig;
  let sink: CentralSink;
  let sync: SyncStage;
  const bus = new Bus();
  const cap = captureLog();

  beforeAll(async () => {
    rig = await startSyncRig({ prefix: 'alpr-hold-replay-' });
    sink = rig.sink;
    ({ sync } = await rig.stages({
      bus,
      log: cap.log,
      wire: (st) => ({ holds: st.holds(), adminKeys: [{ id: 'admin', publicKey: ADMIN.publicKey }] }),
    }));
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('an old release sent again after the case was held again leaves the read held', async () => {
    await waitFor(() => sync.isConnected, 10_000, 'connect');
    const read = makeRead(7000);
    bus.emit('read', read);
    await waitFor(() => sink.ids('read').includes(read.id), 10_000, 'read to arrive');
    const heldRef = () => {
      const db = new Database(join(rig.dirs.data, storeSection.parse({}).file), { readonly: true });
      try {
        return db.prepare('SELECT hold_ref FROM reads WHERE id = ?').pluck().get(read.id) as string | null;
      } finally {
        db.close();
      }
    };
    const t0 = Date.now() - 60_000;
    const sign = (id: string, action: 'hold' | 'release', issuedAt: number) =>
      JSON.stringify(
        signHoldCommand(
          { id, unit: UNIT, action, ref: 'CASE-1', readIds: [read.id], issuedAt },
          ADMIN.privateKeyPem,
          'admin',
        ),
      );
    const hold1 = sign('hold-1', 'hold', t0);
    const rel1 = sign('rel-1', 'release', t0 + 1000);
    const hold2 = sign('hold-2', 'hold', t0 + 2000);
    const server = await mqtt.connectAsync(rig.broker.url, { protocolVersion: 5 });
    const topic = topics('alpr', UNIT).holdCommand;
    const send = async (payload: string, results: number) => {
      await server.publishAsync(topic, payload, { qos: 1 });
      await waitFor(
        () => (sink.counts().byType['holdResult'] ?? 0) >= results,
        10_000,
        `${results} hold results`,
      );
    };
    try {
      await send(hold1, 1);
      expect(heldRef()).toBe('CASE-1');
      await send(rel1, 2);
      expect(heldRef()).toBeNull();
      await send(hold2, 3);
      expect(heldRef()).toBe('CASE-1');
      // the attacker sends the release (and the first hold) again: each was applied once already,
      // so each is answered (a broker may deliver a command twice) and changes nothing
      const before = sync.rejects.total;
      await send(rel1, 4);
      expect(heldRef()).toBe('CASE-1');
      await send(hold1, 5);
      expect(heldRef()).toBe('CASE-1');
      expect(sync.rejects.total - before).toBe(0);
      // a release signed before the last hold but never applied (held back somewhere): refused
      await server.publishAsync(topic, sign('rel-0', 'release', t0 + 1500), { qos: 1 });
      await waitFor(() => sync.rejects.total - before >= 1, 10_000, 'the late release refused').catch((e) => {
        throw new Error(`${(e as Error).message}\n${cap.text().slice(-2500)}`);
      });
      expect(heldRef()).toBe('CASE-1');
      expect(cap.text()).toContain('issued before the last hold applied for CASE-1');
      // the admin who sent it is told why, in its result
      await waitFor(() => (sink.counts().byType['holdResult'] ?? 0) >= 6, 10_000, 'the refusal result');
      const db = new Database(rig.sinkFile, { readonly: true });
      const results = (
        db.prepare("SELECT payload FROM records WHERE type = 'holdResult'").pluck().all() as string[]
      ).map((p) => JSON.parse(p) as { requestId: string; changed: number; refused?: string });
      db.close();
      expect(results.find((r) => r.requestId === 'rel-0')).toMatchObject({
        changed: 0,
        refused: expect.stringMatching(/^command rel-0 was issued before the last hold applied for CASE-1/),
      });
      // the same id under another signature (another command) is refused too
      await server.publishAsync(topic, sign('hold-2', 'release', t0 + 3000), { qos: 1 });
      await waitFor(() => sync.rejects.total - before >= 2, 10_000, 'the reused id refused');
      expect(heldRef()).toBe('CASE-1');
      await waitFor(() => (sink.counts().byType['holdResult'] ?? 0) >= 7, 10_000, 'its refusal result');
      // two holds reach the unit out of signing order (two admins, two runs): both are taken
      await send(sign('hold-4', 'hold', t0 + 4000), 8);
      await send(sign('hold-3', 'hold', t0 + 3500), 9);
      expect(sync.rejects.total - before).toBe(2);
      expect(heldRef()).toBe('CASE-1');
    } finally {
      await server.endAsync();
    }
  });
});
