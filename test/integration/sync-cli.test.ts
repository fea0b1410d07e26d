import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { hasMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, makeHit, makeRead, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto) console.warn('sync-cli: skipped, mosquitto not installed (apt-get install mosquitto)');

describe.skipIf(!hasMosquitto)('alpr central-sink and alpr store status', () => {
  let rig: SyncRig;

  beforeAll(async () => {
    // The sink runs as the `alpr central-sink` CLI, in its own process.
    rig = await startSyncRig({ prefix: 'alpr-cli-', sink: 'process' });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('the sink CLI receives, de-duplicates and reports; store status shows depth and last ack', async () => {
    const dirs = rig.dirs;
    const sinkDb = rig.sinkFile;
    const { bus, store, sync } = await rig.stages({ log: captureLog('warn').log });
    const reads = Array.from({ length: 12 }, (_, i) => makeRead(i));
    for (const r of reads) bus.emit('read', r);
    bus.emit('hit', makeHit(reads[2]!));
    await waitFor(() => store.outbox().depth() === 0, 15_000, 'drain');
    await sync.stop();
    await store.stop();

    const { counts, code } = await rig.sinkProcess!.stop();
    expect(code).toBe(0);
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
