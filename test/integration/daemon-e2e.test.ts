/**
 * The whole daemon, as `alpr run` starts it, on the project's demo frames and NMEA route, syncing
 * over TLS with a client certificate and an ACL to a real Mosquitto, with the reference sink
 * standing in for the central server. What must hold end to end:
 * - every demo plate is read, stored and reaches the server exactly once, with a position once
 *   the GPS has a fix;
 * - the hot-list plate raises one hit on the officer's display with the dispatch banner, and the
 *   hit reaches the server too;
 * - the JSON logs never carry plate text;
 * - a clean stop on SIGTERM exits 0.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFY_BANNER } from '../../src/alerts/format.ts';
import type { CentralSink } from '../../src/sync/sink.ts';
import { ROOT, spawnCli } from '../helpers/cli.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { DEMO_HOT, DEMO_PLATES, demoUnitOnBroker } from '../helpers/demo.ts';

if (!hasMosquitto) console.warn('daemon-e2e: skipped, mosquitto not installed (apt-get install mosquitto)');

const plates = DEMO_PLATES.map((p) => p.plate);
const HOT = DEMO_HOT;
const UNIT = 'e2e-0001';

describe.skipIf(!hasMosquitto)('alpr run, end to end on the demo fixtures', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-e2e-'));
  let broker: Broker;
  let sink: CentralSink;
  let stdout = '';
  let code: number | null = null;
  /** What the page answered over HTTPS while the daemon ran. */
  let page = '';

  beforeAll(async () => {
    broker = await startMosquitto({
      tls: true,
      acl: `user central-sink\ntopic readwrite alpr/#\n\npattern readwrite alpr/e2e-pd/%u/#\n`,
    });
    let config: string;
    ({ sink, config } = await demoUnitOnBroker({
      tmp,
      broker,
      unit: UNIT,
      agency: 'e2e-pd',
      serverCn: 'central-sink',
      // the officer's page over HTTPS, its certificate (for 127.0.0.1) from the unit's credentials
      edit: (yaml) => yaml.replace('web: { port: 0 }', 'web: { port: 0, tls: true }'),
    }));
    copyFileSync(broker.certs!.serverCert, join(tmp, 'creds', 'web.crt'));
    copyFileSync(broker.certs!.serverKey, join(tmp, 'creds', 'web.key'));
    const child = spawnCli(['run', '--config', config], { env: { ALPR_LOG_PLATES: '0' } });
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // 12 frames at 1 fps (slower than inference even on a loaded machine: none is dropped), then the last track leaves; give the outbox time to drain.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && sink.counts().byType.read !== plates.length) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const listening = stdout
      .split('\n')
      .filter((l) => l.includes("officer's page listening"))
      .map((l) => JSON.parse(l) as { port: number; https: boolean })[0];
    if (listening)
      page = await new Promise<string>((resolve) => {
        const req = httpsRequest(
          `https://127.0.0.1:${listening.port}/api/lights`,
          { ca: readFileSync(broker.certs!.ca) },
          (res) =>
            resolve(`${listening.https} ${res.statusCode} ${res.headers['strict-transport-security']}`),
        );
        req.on('error', (e) => resolve(`error ${e.message}`));
        req.end();
      });
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGTERM');
    code = await new Promise((r) => child.on('exit', (c) => r(c)));
    if (code !== 0) console.error(stderr);
  }, 90_000);

  afterAll(async () => {
    await sink?.stop();
    await destroyMosquitto(broker);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stops cleanly on SIGTERM', () => {
    expect(code).toBe(0);
  });

  it('every demo plate reaches the server exactly once, the hit too', () => {
    const db = new Database(join(tmp, 'sink.sqlite'), { readonly: true });
    const rows = db.prepare("SELECT payload FROM records WHERE type = 'read'").all() as { payload: string }[];
    const read = rows.map(
      (r) =>
        JSON.parse(r.payload).read as { plate: string; unitId: string; position: { lat: number | null } },
    );
    expect(read.map((r) => r.plate).sort()).toEqual([...plates].sort());
    expect(read.every((r) => r.unitId === UNIT)).toBe(true);
    // The route has a fix after its first 12 s (3 s at ×4): later reads carry a position.
    expect(read.some((r) => r.position.lat !== null)).toBe(true);
    const hits = db.prepare("SELECT payload FROM records WHERE type = 'hit'").all() as { payload: string }[];
    expect(hits.map((h) => JSON.parse(h.payload).hit.plate)).toEqual([HOT]);
    expect(sink.counts().conflicts).toBe(0);
    db.close();
  });

  it("serves the officer's page over HTTPS with web.tls (the certificate from the credentials folder)", () => {
    expect(page).toBe('true 200 max-age=31536000');
  });

  it('tells the server what it delivered (a tally on connect), never stored as a record', () => {
    expect(sink.stats.tallies).toBeGreaterThanOrEqual(1);
    expect(sink.counts().byType.tally).toBeUndefined();
    expect(sink.stats.resends).toBe(0);
  });

  it('sends the hot plates entered on the unit (list LOCAL) upstream, ids free of plate text', () => {
    const db = new Database(join(tmp, 'sink.sqlite'), { readonly: true });
    const rows = db.prepare("SELECT id, payload FROM records WHERE type = 'hot-plate'").all() as {
      id: string;
      payload: string;
    }[];
    db.close();
    const seeded = readFileSync(resolve(ROOT, 'fixtures/demo/hotlist.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(rows.map((r) => JSON.parse(r.payload).body.plate).sort()).toEqual(seeded.sort());
    for (const r of rows) for (const p of seeded) expect(r.id).not.toContain(p!);
  });

  it('shows the hit once on the display, with the dispatch banner', () => {
    const display = stdout.split('\n').filter((l) => !l.startsWith('{'));
    const hitLines = display.filter((l) => l.startsWith('*** CONFIRMED HIT'));
    expect(hitLines).toHaveLength(1);
    expect(hitLines[0]).toContain(HOT);
    expect(display.join('\n')).toContain(VERIFY_BANNER);
  });

  it('keeps plate text out of the JSON logs', () => {
    const logs = stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(logs.length).toBeGreaterThan(5);
    for (const p of plates) expect(logs.filter((l) => l.includes(p))).toEqual([]);
    expect(logs.some((l) => l.includes('"msg":"daemon started"'))).toBe(true);
  });

  it('kept a plate crop and an overview image beside every read on the unit', () => {
    const db = new Database(join(tmp, 'data', 'reads.sqlite'), { readonly: true });
    const kinds = db.prepare('SELECT kind, COUNT(*) AS n FROM images GROUP BY kind ORDER BY kind').all();
    db.close();
    expect(kinds).toEqual([
      { kind: 'overview', n: plates.length },
      { kind: 'plate', n: plates.length },
    ]);
  });

  it('stored the reads encrypted: no plate text in the unit database file', () => {
    const bytes = readFileSync(join(tmp, 'data', 'reads.sqlite')).toString('latin1');
    const wal = (() => {
      try {
        return readFileSync(join(tmp, 'data', 'reads.sqlite-wal')).toString('latin1');
      } catch {
        return '';
      }
    })();
    for (const p of plates) expect(bytes.includes(p) || wal.includes(p)).toBe(false);
  });
});
