/**
 * A producer process for the kill -9 test: opens the store and sync stages like the daemon does,
 * produces reads `kill-000000…` at a steady pace the way the daemon's reads glue does (announced on
 * the bus, where a stand-in for the hot list raises a hit `hit-…` for every tenth read, stored with
 * its hits in one transaction), skips reads the store already holds, then waits for the
 * outbox to drain and exits 0. The parent kills it at random points and starts it again.
 * Env: ALPR_T_DATA, ALPR_T_CREDS, ALPR_T_URL, ALPR_T_TOTAL; ALPR_T_DIE_AT=i kills the process
 * (SIGKILL) while read i is being announced, after the store has seen it and before its hit.
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
  const index = (id: string) => Number(id.slice('kill-'.length));
  const dieAt = process.env['ALPR_T_DIE_AT'];
  if (dieAt !== undefined)
    bus.on('read', (r) => {
      if (index(r.id) === Number(dieAt)) process.kill(process.pid, 'SIGKILL');
    });
  bus.on('read', (r) => {
    const i = index(r.id);
    if (i % 10 === 0) bus.emit('hit', makeHit(r, `hit-${String(i).padStart(6, '0')}`));
  });
  for (let i = 0; i < total; i++) {
    const id = `kill-${String(i).padStart(6, '0')}`;
    // Like the daemon after a restart, a read already kept is never read again (nor its hits).
    if (store.hasRead(id)) continue;
    const read = makeRead(i, Date.now(), id);
    store.putReadWithHits(read, () => bus.emit('read', read));
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
