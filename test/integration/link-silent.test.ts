/**
 * A silent broker: a real Mosquitto frozen with SIGSTOP keeps its TCP connections open and answers
 * nothing. With the shipped keepalive the unit drops the link and turns the server light amber
 * within ~15 s (it took 45 s with the light green meanwhile), idle or while reads wait for their
 * PUBACK, and goes green again once the broker is thawed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncSection } from '../../src/config/sections/sync.ts';
import type { Bus } from '../../src/core/bus.ts';
import type { StoreStage } from '../../src/store/index.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { makeRead, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto) console.warn('link-silent: skipped, mosquitto not installed (apt-get install mosquitto)');

const parsed = syncSection.parse({ type: 'mqtt', url: 'mqtt://127.0.0.1:1883', insecure: true });
if (parsed.type !== 'mqtt') throw new Error('unreachable');
const DEFAULTS = parsed;
/** "Within ~15 s", plus a health tick and scheduling slack; fixed, not derived from the default. */
const NOTICE_BOUND_MS = 18_000;

describe.skipIf(!hasMosquitto)('a broker that stops answering', () => {
  let rig: SyncRig;
  let sync: SyncStage;
  let bus: Bus;
  let store: StoreStage;
  const lights: { light: string; reason: string; at: number }[] = [];

  beforeAll(async () => {
    // a receiver subscribed, as on a real server: the broker has someone to deliver the reads to
    rig = await startSyncRig({ prefix: 'alpr-silent-' });
    ({ sync, bus, store } = await rig.stages({
      // The shipped keepalive and backoff, not the tests' quick ones.
      sync: {
        keepaliveSeconds: DEFAULTS.keepaliveSeconds,
        reconnectMinMs: DEFAULTS.reconnectMinMs,
        reconnectMaxMs: DEFAULTS.reconnectMaxMs,
      },
      wire: () => ({ healthIntervalMs: 500 }),
    }));
    bus.on('health', (h) => {
      if (h.component === 'server') lights.push({ light: h.light, reason: h.reason, at: Date.now() });
    });
    await waitFor(() => sync.isConnected, 10_000, 'first connect');
  }, 30_000);

  afterAll(async () => {
    rig?.broker.signal('SIGCONT');
    await rig?.close();
  });

  /** Freezes the broker once the light is green; returns ms until the light left green. */
  async function freezeAndTime(duringFreeze: () => void): Promise<{ ms: number; reason: string }> {
    await waitFor(() => sync.isConnected && lights.at(-1)?.light === 'green', 30_000, 'green');
    const from = lights.length;
    rig.broker.signal('SIGSTOP');
    const t0 = Date.now();
    duringFreeze();
    await waitFor(
      () => lights.slice(from).some((l) => l.light !== 'green'),
      NOTICE_BOUND_MS,
      'server light to leave green',
    );
    const first = lights.slice(from).find((l) => l.light !== 'green')!;
    const ms = first.at - t0;
    rig.broker.signal('SIGCONT');
    // Back: connected and green again within a connect attempt and the capped backoff.
    await waitFor(() => sync.isConnected, 30_000 + DEFAULTS.reconnectMaxMs, 'reconnect after thaw');
    await waitFor(() => lights.at(-1)?.light === 'green', 10_000, 'green after thaw');
    return { ms, reason: first.reason };
  }

  it('idle link: noticed within ~15 s, amber, then green after the thaw', async () => {
    const { ms, reason } = await freezeAndTime(() => {});
    console.log(`link-silent: idle link noticed ${ms} ms after the freeze (${reason})`);
    expect(ms).toBeLessThanOrEqual(NOTICE_BOUND_MS);
    expect(reason).toMatch(/unreachable/);
  }, 90_000);

  it('reads waiting for PUBACK: noticed within ~15 s, then delivered after the thaw', async () => {
    const { ms, reason } = await freezeAndTime(() => {
      for (let i = 0; i < 20; i++) bus.emit('read', makeRead(i));
    });
    console.log(`link-silent: busy link noticed ${ms} ms after the freeze (${reason})`);
    expect(ms).toBeLessThanOrEqual(NOTICE_BOUND_MS);
    expect(reason).toMatch(/not answering/);
    await waitFor(() => store.outbox().depth() === 0, 20_000, 'outbox to drain');
  }, 90_000);
});
