/**
 * A producer process for the kill -9 test: opens the store and sync stages like the daemon does,
 * produces reads `kill-000000…` (and a hit every tenth read) at a steady pace, skipping ids the
 * store already holds, then waits for the outbox to drain and exits 0. The parent kills it at
 * random points and starts it again.
 * Env: ALPR_T_DATA, ALPR_T_CREDS, ALPR_T_URL, ALPR_T_TOTAL.
 */
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import { StoreStage } from '../../src/store/index.ts';
import { SyncStage } from '../../src/sync/index.ts';
import { makeHit, makeRead, storeConfig, syncConfig, UNIT } from './sync-fixtures.ts';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} not set`);
  return v;
};

async function main(): Promise<void> {
  const total = Number(env('ALPR_T_TOTAL'));
  const log = createLogger({ level: 'warn' });
  const bus = new Bus((event, err) => {
    log.fatal({ event, err }, 'handler failed');
    process.exit(3);
  });
  const store = new StoreStage({
    bus,
    log,
    config: storeConfig({ synchronous: 'full' }),
    dataDir: env('ALPR_T_DATA'),
    credentialsDir: env('ALPR_T_CREDS'),
  });
  await store.start();
  const sync = new SyncStage({
    bus,
    log,
    config: syncConfig(env('ALPR_T_URL'), { inflight: 20 }),
    unit: UNIT,
    outbox: store.outbox(),
  });
  await sync.start();
  for (let i = 0; i < total; i++) {
    const read = makeRead(i, Date.now(), `kill-${String(i).padStart(6, '0')}`);
    const added = store.putRead(read);
    // A kill between the read and its hit leaves the read without a hit: produce the hit again
    // (idempotent by id), as the hot-list stage would on its start-up re-check.
    if (i % 10 === 0) store.putHit(makeHit(read, `hit-${String(i).padStart(6, '0')}`));
    if (!added) continue;
    await new Promise((r) => setTimeout(r, 10));
  }
  while (store.outbox().depth() > 0) await new Promise((r) => setTimeout(r, 20));
  await sync.stop();
  await store.stop();
  process.stdout.write('DONE\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(2);
});
