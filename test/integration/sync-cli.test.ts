import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { StoreStage } from '../../src/store/index.ts';
import { SyncStage } from '../../src/sync/index.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import {
  captureLog,
  makeHit,
  makeRead,
  storeConfig,
  syncConfig,
  tempDirs,
  UNIT,
  waitFor,
} from '../helpers/sync-fixtures.ts';

if (!hasMosquitto) console.warn('sync-cli: skipped, mosquitto not installed (apt-get install mosquitto)');

describe.skipIf(!hasMosquitto)('alpr central-sink and alpr store status', () => {
  let broker: Broker;
  const dirs = tempDirs('alpr-cli-');

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await destroyMosquitto(broker);
    rmSync(dirs.root, { recursive: true, force: true });
  });

  it('the sink CLI receives, de-duplicates and reports; store status shows depth and last ack', async () => {
    const sinkDb = join(dirs.root, 'sink.sqlite');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(ROOT, 'src/cli.ts'),
        'central-sink',
        '--url',
        broker.url,
        '--db',
        sinkDb,
        '--report-every',
        '0',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await waitFor(() => err.includes('subscribed'), 20_000, 'sink to subscribe');

    const bus = new Bus();
    const { log } = captureLog('warn');
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
      config: syncConfig(broker.url),
      unit: UNIT,
      outbox: store.outbox(),
    });
    await sync.start();
    const reads = Array.from({ length: 12 }, (_, i) => makeRead(i));
    for (const r of reads) bus.emit('read', r);
    bus.emit('hit', makeHit(reads[2]!));
    await waitFor(() => store.outbox().depth() === 0, 15_000, 'drain');
    await sync.stop();
    await store.stop();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const counts = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(counts).toMatchObject({ records: 13, byType: { read: 12, hit: 1 }, conflicts: 0 });

    const report = runCli(['sync', 'sink-report', '--db', sinkDb]);
    expect(JSON.parse(report.stdout)).toMatchObject({ records: 13 });

    const cfg = join(dirs.root, 'unit.yaml');
    writeFileSync(
      cfg,
      'version: 1\nunit: { id: unit-7, agency: metro }\npaths: { dataDir: ./data }\ncameras: []\n',
    );
    const st = runCli(['store', 'status', '--config', cfg]);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain('queue depth: 0 (hits 0, reads 0, images 0)');
    expect(st.stdout).toMatch(/last acknowledged read: \d{4}-\d\d-\d\dT.*s ago/);
    expect(st.stdout).toContain('reads stored: 12 (not yet uploaded 0');
    expect(st.stdout).not.toMatch(/ZQX/);
  });
});
