/**
 * The server light when the broker comes back: green as soon as the link works end to end, not
 * at the next periodic report (here a minute away) with the error from while it was down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import { type Broker, hasMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, makeRead, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

describe.skipIf(!hasMosquitto)('server light after the broker returns', () => {
  let rig: SyncRig;
  let broker: Broker;
  let sync: SyncStage;
  const bus = new Bus();
  const health: HealthReport[] = [];

  beforeAll(async () => {
    rig = await startSyncRig({ prefix: 'alpr-sync-light-' });
    broker = rig.broker;
    bus.on('health', (h) => {
      if (h.component === 'server') health.push(h);
    });
    ({ sync } = await rig.stages({ bus, log: captureLog().log, wire: () => ({ healthIntervalMs: 60_000 }) }));
    await waitFor(() => sync.isConnected, 10_000, 'connect');
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('turns green within seconds of the reconnect, with no stale error', async () => {
    await broker.stop();
    await waitFor(() => !sync.isConnected, 10_000, 'disconnect');
    bus.emit('read', makeRead(7));
    await new Promise((r) => setTimeout(r, 1500)); // a reconnect or two fails: the error is kept
    await broker.start();
    await waitFor(() => sync.isConnected, 15_000, 'reconnect');
    await waitFor(() => health.at(-1)?.light === 'green', 5_000, 'green light').catch((e) => {
      throw new Error(`${(e as Error).message}; last: ${JSON.stringify(health.at(-1))}`);
    });
    expect(health.at(-1)!.reason).not.toMatch(/fail/);
    await waitFor(() => rig.counts().records >= 1, 10_000, 'the read delivered');
  });
});
