/**
 * Parts that fail to start come up later without a restart. A unit flashed without its broker's
 * CA certificate, whose page port another process holds at boot: `alpr run` reads plates without
 * the server link and the page, and shows why. Then a technician copies the CA in and the other
 * process lets the port go: the server link and the page start on their own, the reads made
 * meanwhile reach the server (real Mosquitto over TLS, the reference sink), the page answers on
 * its port, and the lights say so.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CentralSink } from '../../src/sync/sink.ts';
import { runDaemon } from '../helpers/cli.ts';
import { DEMO_HOT, DEMO_PLATES, demoUnitOnBroker } from '../helpers/demo.ts';
import { freePort } from '../helpers/free-port.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';

if (!hasMosquitto)
  console.warn('daemon-stage-retry: skipped, mosquitto not installed (apt-get install mosquitto)');

const UNIT = 'retry-0001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET on the page's port: the status code, or the error's code when nothing answers. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/api/lights', timeout: 2000 }, (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

describe.skipIf(!hasMosquitto)('alpr run: parts that failed to start are started again', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-retry-'));
  let broker: Broker;
  let sink: CentralSink;
  let squatter: Server | null = null;
  let code: number | null = null;
  /** The daemon; killed after the tests whatever happened (a timed-out hook leaves it running). */
  let daemon: ReturnType<typeof runDaemon> | null = null;
  const stdout = () => daemon?.out.stdout ?? '';
  const seen: Record<string, unknown> = {};

  const logs = () =>
    stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const lightLogs = (component: string) =>
    logs().filter((l) => l.msg === 'health changed' && l.component === component);

  beforeAll(async () => {
    broker = await startMosquitto({
      tls: true,
      acl: `user central-sink\ntopic readwrite alpr/#\n\npattern readwrite alpr/retry-pd/%u/#\n`,
    });
    const webPort = await freePort();
    ({ sink } = await demoUnitOnBroker({
      tmp,
      broker,
      unit: UNIT,
      agency: 'retry-pd',
      serverCn: 'central-sink',
      edit: (yaml) =>
        yaml
          .replace('web: { port: 0 }', `web: { port: ${webPort} }`)
          .replace('health: { http: { port: 0 } }', 'health: { http: { port: 0 }, stageRetryS: 1 }'),
    }));
    const caCopy = join(tmp, 'ca.crt.kept');
    copyFileSync(join(tmp, 'creds', 'ca.crt'), caCopy);
    unlinkSync(join(tmp, 'creds', 'ca.crt'));
    // another process holds the page's port
    // (it answers nothing; what connects is read, so that a closed connection ends here too)
    const held = createServer((sock) => sock.resume());
    await new Promise<void>((r) => held.listen(webPort, '127.0.0.1', r));
    squatter = held;

    const run = runDaemon(join(tmp, 'config.yaml'));
    daemon = run;
    const until = async (cond: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end && !cond()) await sleep(200);
      return cond();
    };
    // Up and reading, without the link and the page (both said on their lights, tried again).
    seen.started = await until(() => logs().some((l) => l.msg === 'daemon started'), 60_000);
    seen.startedLog = logs().find((l) => l.msg === 'daemon started');
    seen.failedAgain = await until(
      () => logs().some((l) => l.msg === 'stage failed to start again' && l.stage === 'sync'),
      15_000,
    );
    seen.pageWhileHeld = await probe(webPort);
    // The technician's fix and the other process's exit.
    copyFileSync(caCopy, join(tmp, 'creds', 'ca.crt'));
    await new Promise<void>((r) => held.close(() => r()));
    squatter = null;
    seen.recovered = await until(
      () => sink.counts().byType.read === DEMO_PLATES.length && sink.counts().byType.hit === 1,
      90_000,
    );
    seen.page = await probe(webPort);
    seen.status = JSON.parse(
      await new Promise<string>((resolve) => {
        const port = (logs().find((l) => l.msg === 'health endpoint listening') as { port: number }).port;
        get({ host: '127.0.0.1', port, path: '/health' }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve(body));
        });
      }),
    );
    code = await run.stop();
    if (code !== 0) console.error(run.out.stderr);
    writeFileSync(join(tmp, 'stdout.log'), stdout());
  }, 200_000);

  afterAll(async () => {
    daemon?.kill();
    squatter?.close();
    await sink?.stop();
    await destroyMosquitto(broker);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('starts without the server link and the page, saying why and that it tries again', () => {
    expect(seen.started).toBe(true);
    expect((seen.startedLog as { failed: string[] }).failed.sort()).toEqual(['sync', 'web']);
    expect(seen.failedAgain).toBe(true);
    expect(seen.pageWhileHeld).not.toBe('200');
    const server = lightLogs('server').find((l) => l.light === 'red');
    expect(server?.reason).toMatch(
      /^sync failed to start: cannot read secret "ca\.crt".*\(the unit tries again\)$/,
    );
    const web = lightLogs('web').find((l) => l.light === 'red');
    expect(web?.reason).toMatch(/^web failed to start: .*EADDRINUSE.*\(the unit tries again\)$/);
  });

  it('starts both once the CA is in place and the port is free, with no restart', () => {
    const later = logs()
      .filter((l) => l.msg === 'stage started after failing to start')
      .map((l) => l.stage)
      .sort();
    expect(later).toEqual(['sync', 'web']);
    expect(seen.page).toBe('200');
  });

  it('delivers the reads made while the link was down, and the hit, exactly once', () => {
    expect(seen.recovered).toBe(true);
    expect(sink.counts().conflicts).toBe(0);
    const db = new Database(join(tmp, 'sink.sqlite'), { readonly: true });
    const rows = db.prepare("SELECT payload FROM records WHERE type IN ('read', 'hit')").all() as {
      payload: string;
    }[];
    db.close();
    const parsed = rows.map(
      (r) => JSON.parse(r.payload) as { read?: { plate: string }; hit?: { plate: string } },
    );
    expect(parsed.flatMap((p) => (p.hit ? [p.hit.plate] : []))).toEqual([DEMO_HOT]);
    expect(parsed.flatMap((p) => (p.read ? [p.read.plate] : [])).sort()).toEqual(
      DEMO_PLATES.map((p) => p.plate).sort(),
    );
  });

  it('takes the failure off the lights: the server light is green, the page no longer red', () => {
    const status = seen.status as {
      lights: Record<string, { light: string; reasons: string[] }>;
      components: { component: string; light: string; reason: string }[];
    };
    const web = status.components.find((c) => c.component === 'web');
    expect(web).toBeUndefined();
    const server = status.components.find((c) => c.component === 'server');
    expect(server?.light).toBe('green');
    expect(JSON.stringify(status)).not.toContain('failed to start');
  });

  it('stops cleanly on SIGTERM', () => {
    expect(code).toBe(0);
    expect(readFileSync(join(tmp, 'stdout.log'), 'utf8')).not.toMatch(/"level":60/);
  });
});
