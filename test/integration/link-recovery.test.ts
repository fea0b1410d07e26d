/**
 * Link recovery against a real Mosquitto stopped for a while and started again: the upload link
 * reconnects within its capped backoff of the broker's return (it waited up to a minute before),
 * and the hot-list and roster subscribers back off with one warning per outage instead of one per
 * second, then reconnect too.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncSection } from '../../src/config/sections/sync.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import { HotlistSubscriber } from '../../src/hotlist/subscriber.ts';
import type { SyncStage } from '../../src/sync/index.ts';
import { RosterSubscriber } from '../../src/sync/roster.ts';
import { type Broker, hasMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto)
  console.warn('link-recovery: skipped, mosquitto not installed (apt-get install mosquitto)');

/** Long enough for an uncapped backoff to grow past the cap several times over. */
const OUTAGE_MS = 15_000;
const DEFAULTS = syncSection.parse({ type: 'mqtt', url: 'mqtt://127.0.0.1:1883', insecure: true });
if (DEFAULTS.type !== 'mqtt') throw new Error('unreachable');

describe.skipIf(!hasMosquitto)('link recovery after a broker outage', () => {
  let rig: SyncRig;
  let broker: Broker;
  let sync: SyncStage;
  let hotlist: HotlistSubscriber;
  let roster: RosterSubscriber;
  const hotlistLog = captureLog();
  const rosterLog = captureLog();
  let reconnectMs = Number.NaN;

  beforeAll(async () => {
    rig = await startSyncRig({ prefix: 'alpr-link-', sink: 'none' });
    broker = rig.broker;
    // The shipped backoff, not the tests' quick one.
    ({ sync } = await rig.stages({
      log: pino({ level: 'silent' }),
      sync: { reconnectMinMs: DEFAULTS.reconnectMinMs, reconnectMaxMs: DEFAULTS.reconnectMaxMs },
    }));
    const common = {
      mqtt: { url: broker.url },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'u-link',
      adminKeys: [{ id: 'k1', publicKey: generateAdminKey().publicKey }],
      reconnect: { minMs: DEFAULTS.reconnectMinMs, maxMs: DEFAULTS.reconnectMaxMs },
    };
    hotlist = new HotlistSubscriber({
      ...common,
      log: hotlistLog.log,
      target: { listVersion: () => 0, applyVersion: async () => 0 },
    });
    roster = new RosterSubscriber({
      ...common,
      log: rosterLog.log,
      applyRoster: () => {},
      unitKey: () => Buffer.alloc(0),
    });
    await hotlist.start();
    await roster.start();
    await hotlist.whenSubscribed();
    await waitFor(() => sync.isConnected, 10_000, 'first connect');
    await broker.stop();
    await waitFor(() => !sync.isConnected, 10_000, 'disconnect');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await broker.start();
    const back = Date.now();
    await waitFor(() => sync.isConnected, 60_000, 'reconnect');
    reconnectMs = Date.now() - back;
    console.log(`link-recovery: upload link reconnected ${reconnectMs} ms after the broker was back`);
    // The subscribers say so once they are back.
    const backAgain = (c: ReturnType<typeof captureLog>) =>
      c.lines().some((l) => String(l.msg).endsWith('broker reachable again'));
    await waitFor(
      () => backAgain(hotlistLog) && backAgain(rosterLog),
      DEFAULTS.reconnectMaxMs + 10_000,
      'subscribers back',
    );
  }, OUTAGE_MS + 90_000);

  afterAll(async () => {
    await hotlist?.stop();
    await roster?.stop();
    await rig?.close();
  });

  it('the upload link reconnects within its capped backoff of the broker coming back', () => {
    // The cap bounds the last wait; a connect and the first publish's PUBACK come on top.
    expect(reconnectMs).toBeLessThanOrEqual(DEFAULTS.reconnectMaxMs + 3000);
  });

  it.each([
    ['hot-list sync', hotlistLog],
    ['roster sync', rosterLog],
  ])('%s warns once for the outage and once says it is back', (what, cap) => {
    const lines = cap.lines();
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.msg)).toEqual([`${what}: broker not reachable; retrying with backoff`]);
    const back = lines.filter((l) => l.msg === `${what}: broker reachable again`);
    expect(back).toHaveLength(1);
    expect(Number(back[0]!.downMs)).toBeGreaterThanOrEqual(OUTAGE_MS);
    // Backing off: far fewer attempts than one a second over the outage.
    expect(Number(back[0]!.retries)).toBeLessThan(OUTAGE_MS / 1000 / 2);
  });
});
