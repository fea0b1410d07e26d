/**
 * Units of a fleet on a clustered broker, each built as the daemon builds one: a store, the sync
 * stage (outbox → MQTT, negotiating 3.1.1 when the broker refuses 5) and the hot-list stage with
 * its signed-list subscriber, on one bus, with its own data folder. Records every server-light
 * change. Used by the fleet tests.
 */
import { aesSealer } from '../../src/domain/seal.ts';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger, type Logger } from '../../src/core/log.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import { SharedSession } from '../../src/core/broker-session.ts';
import { HotlistSubscriber } from '../../src/hotlist/subscriber.ts';
import { StoreStage } from '../../src/store/index.ts';
import { SyncStage } from '../../src/sync/index.ts';
import { storeConfig, syncConfig, tempDirs } from './sync-fixtures.ts';

export interface FleetUnit {
  id: string;
  agency: string;
  bus: Bus;
  store: StoreStage;
  sync: SyncStage;
  hotlist: HotlistStage;
  sub: HotlistSubscriber;
  /** Every server light the sync stage reported, oldest first. */
  lights: HealthReport[];
  dirs: ReturnType<typeof tempDirs>;
  /** Starts the upload link (the store and the hot-list side start with the unit). */
  startSync(): Promise<void>;
  stop(): Promise<void>;
}

export interface FleetUnitOptions {
  id: string;
  agency: string;
  /** The node the unit connects to first, then the others in turn (empty: that node only). */
  url: string;
  clusterUrls: string[];
  adminKey: { id: string; publicKey: string };
  /** Overrides of the test sync config. */
  sync?: Record<string, unknown>;
  log?: Logger;
}

export async function startFleetUnit(o: FleetUnitOptions): Promise<FleetUnit> {
  const log = o.log ?? createLogger({ level: 'silent' });
  const dirs = tempDirs(`alpr-fleet-${o.id}-`);
  const bus = new Bus();
  const lights: HealthReport[] = [];
  bus.on('health', (h) => {
    if (h.component === 'server') lights.push(h);
  });
  const unit = { id: o.id, agency: o.agency };
  // As the daemon wires it: one connection per unit, the link's; the hot-list subscriber rides on it.
  const session = new SharedSession();
  const store = new StoreStage({
    bus,
    log,
    config: storeConfig(),
    dataDir: dirs.data,
    credentialsDir: dirs.creds,
  });
  await store.start();
  const sync = new SyncStage({
    bus,
    log,
    config: syncConfig(o.url, { clusterUrls: o.clusterUrls, ...o.sync }),
    unit,
    outbox: store.outbox(),
    records: store.records(),
    holds: store.holds(),
    adminKeys: [o.adminKey],
    clientIdFile: join(dirs.data, 'mqtt-client-id'),
    healthIntervalMs: 250,
    session,
  });
  const hotlist = new HotlistStage({
    bus,
    log,
    config: configSchema.shape.hotlist.parse({ adminKeys: [o.adminKey] }),
    dbPath: join(dirs.data, 'hotlist.sqlite'),
    sealer: aesSealer(Buffer.alloc(32, 7), 'hotlist'),
  });
  await hotlist.start();
  const sub = new HotlistSubscriber({
    session: session.handle(),
    topicBase: 'alpr',
    agency: o.agency,
    unitId: o.id,
    adminKeys: [o.adminKey],
    target: hotlist,
    log,
    // Scaled down like the reconnect backoff: the manifests are read again 2 s, 4 s, 8 s… after a connect.
    refresh: { minMs: 2000, maxMs: 8000 },
  });
  await sub.start();
  let syncStarted = false;
  return {
    ...unit,
    bus,
    store,
    sync,
    hotlist,
    sub,
    lights,
    dirs,
    async startSync() {
      syncStarted = true;
      await sync.start();
    },
    async stop() {
      if (syncStarted) await sync.stop();
      await sub.stop();
      await hotlist.stop();
      await store.stop();
    },
  };
}
