/**
 * An agency ACL that lets a unit publish every kind of record but hits (one line missing), over TLS
 * with client certificates on a real Mosquitto, which closes the connection after each refused
 * publish. Before, the refused hit led every new connection: the unit reconnected about once a
 * second, the reads the ACL allows stayed queued too, and the light blamed the certificate. Now the
 * refused kind is held (one probe every retryMs, across connections) while the others go on, the
 * light names it, and once the ACL is fixed the hits arrive, each once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { SyncStage } from '../../src/sync/index.ts';
import { hasMosquitto, writeCredentials } from '../helpers/mosquitto.ts';
import { captureLog, makeHit, makeRead, syncConfig, UNIT, waitFor } from '../helpers/sync-fixtures.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

if (!hasMosquitto)
  console.warn('sync-acl-kind: skipped, mosquitto not installed (apt-get install mosquitto)');

const KINDS = [
  'status',
  'read',
  'image',
  'health',
  'heartbeat',
  'tally',
  'record',
  'audit',
  'cmd/#',
  'hotlist/#',
];
const ACL_NO_HIT = `user central-sink
topic readwrite alpr/#

${KINDS.map((k) => `pattern readwrite alpr/metro/%u/${k}`).join('\n')}
`;
const ACL_ALL = `user central-sink
topic readwrite alpr/#

pattern readwrite alpr/metro/%u/#
`;

describe.skipIf(!hasMosquitto)('a broker ACL that refuses one kind of record', () => {
  let rig: SyncRig;
  let sync: SyncStage | null = null;
  const cap = captureLog();
  const health: HealthReport[] = [];

  beforeAll(async () => {
    rig = await startSyncRig({
      prefix: 'alpr-aclkind-',
      broker: { tls: true, acl: ACL_NO_HIT },
      sinkOptions: (b) => {
        const sc = b.certs!.client('central-sink');
        return { ca: readFileSync(b.certs!.ca), cert: readFileSync(sc.cert), key: readFileSync(sc.key) };
      },
    });
  });
  afterAll(async () => {
    await sync?.stop();
    await rig?.close();
  });

  it('holds the refused hits, sends the reads, names the kind; sends the hits once the ACL allows them', async () => {
    const bus = new Bus();
    bus.on('health', (h) => {
      if (h.component === 'server') health.push(h);
    });
    const { store } = await rig.stages({ bus, log: cap.log, startSync: false });
    const reads = Array.from({ length: 12 }, (_, i) => makeRead(i));
    for (const r of reads) bus.emit('read', r);
    const hits = reads.slice(0, 3).map((r) => makeHit(r));
    for (const h of hits) bus.emit('hit', h);
    writeCredentials(rig.dirs.creds, rig.broker.certs!, UNIT.id);
    sync = new SyncStage({
      bus,
      log: cap.log,
      config: syncConfig(rig.broker.url, { caFile: 'ca.crt', certFile: 'client.crt', keyFile: 'client.key' }),
      unit: UNIT,
      credentialsDir: rig.dirs.creds,
      outbox: store.outbox(),
      healthIntervalMs: 100,
      retryMs: 1500,
    });
    await sync.start();
    await waitFor(() => reads.every((r) => rig.sink.ids('read').includes(r.id)), 15_000, 'the reads');
    await waitFor(
      () => /the broker refuses hit records/.test(health.at(-1)?.reason ?? ''),
      5000,
      'the light naming hits',
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; stats: ${JSON.stringify(sync?.stats)} broker: ${rig.broker.log().slice(-1500)}; lights: ${health
          .slice(-5)
          .map((h) => `${h.light} ${h.reason}`)
          .join(' | ')}; log: ${cap.text().slice(-1500)}`,
      );
    });
    const connects = sync.stats.connects;
    await new Promise((r) => setTimeout(r, 4000));
    // one probe per 1.5 s at most, each closing the connection: no reconnect a second
    expect(sync.stats.connects - connects).toBeLessThanOrEqual(4);
    expect(rig.sink.ids('hit')).toEqual([]);
    expect(health.at(-1)?.reason).not.toMatch(/certificate/);
    // the ACL fixed: the hits go at the next probe, each once
    writeFileSync(join(rig.broker.dir, 'acl'), ACL_ALL);
    rig.broker.signal('SIGHUP');
    await waitFor(() => hits.every((h) => rig.sink.ids('hit').includes(h.id)), 15_000, 'the hits');
    await waitFor(() => store.outbox().depth() === 0, 10_000, 'an empty outbox');
    expect(rig.sink.ids('hit').sort()).toEqual(hits.map((h) => h.id).sort());
    expect(rig.sink.counts().duplicates ?? 0).toBe(0);
  }, 60_000);
});
