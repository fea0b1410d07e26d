/**
 * Reconnect on a network change: while the link waits out its backoff after losing the broker, a
 * change in the host's addresses (another cell, the station's Wi-Fi) makes it try at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncStage } from '../../src/sync/index.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto)
  console.warn('link-netchange: skipped, mosquitto not installed (apt-get install mosquitto)');

/** The first backoff wait is at least half of this: far longer than the test allows. */
const MIN_MS = 10_000;

describe.skipIf(!hasMosquitto)('a network change while the broker is unreachable', () => {
  let rig: SyncRig;
  let sync: SyncStage;
  let net = '10.0.0.2';

  beforeAll(async () => {
    rig = await startSyncRig({ prefix: 'alpr-netchange-', sink: 'none' });
    ({ sync } = await rig.stages({
      sync: { reconnectMinMs: MIN_MS, reconnectMaxMs: 30_000 },
      wire: () => ({ networkKey: () => net }),
    }));
    await waitFor(() => sync.isConnected, 10_000, 'first connect');
  }, 30_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('reconnects at once instead of waiting out the backoff', async () => {
    await rig.broker.stop();
    await waitFor(() => !sync.isConnected, 10_000, 'disconnect');
    const down = Date.now();
    await rig.broker.start();
    // Without a change the link keeps waiting: the backoff is at least MIN_MS / 2.
    await new Promise((r) => setTimeout(r, 1500));
    expect(sync.isConnected).toBe(false);
    net = '10.0.7.9';
    await waitFor(() => sync.isConnected, 3000, 'reconnect after the network change');
    expect(Date.now() - down).toBeLessThan(MIN_MS / 2);
  }, 30_000);
});
