/**
 * `alpr config check --deep` says everything that would stop or blind the unit, each with its
 * config path: ten configs the schema accepts but the unit cannot run, and one it can.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepProblems } from '../../src/commands/config-deep.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

const isRoot = process.getuid?.() === 0;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('config check --deep', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-deep-'));
  const creds = join(tmp, 'creds');
  /** A certificate and its key, made once. */
  const pair = (() => {
    const dir = mkdtempSync(join(tmpdir(), 'alpr-deep-pair-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=deep-1',
        '-days',
        '2',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'pipe' },
    );
    const out = { cert: readFileSync(join(dir, 'c.pem')), key: readFileSync(join(dir, 'k.pem')) };
    rmSync(dir, { recursive: true, force: true });
    return out;
  })();
  const restoreTls = () => {
    writeFileSync(join(creds, 'ca.crt'), PEM);
    writeFileSync(join(creds, 'client.crt'), pair.cert);
    writeFileSync(join(creds, 'client.key'), pair.key);
  };
  let healthPort = 0;
  let webPort = 0;
  const servers: Server[] = [];

  /** A config that runs, with `edit` applied to its text. */
  const configText = (edit: (t: string) => string = (t) => t) =>
    edit(`version: 1
unit: { id: deep-1, agency: deep-pd, mode: car }
paths: { dataDir: ${join(tmp, 'data', 'alpr')}, credentialsDir: ${creds} }
cameras:
  - { id: front, type: file, orientation: front, path: ${join(ROOT, 'fixtures/demo/frames')}, fps: 1 }
gps: { type: replay, path: ${join(ROOT, 'fixtures/gps/demo-route.nmea')} }
hotlist: { seedCsv: [{ list: LOCAL, path: ${join(ROOT, 'fixtures/demo/hotlist.csv')} }] }
sync: { type: mqtt, url: 'mqtts://127.0.0.1:8883', caFile: ca.crt, certFile: client.crt, keyFile: client.key }
health: { http: { port: ${healthPort} } }
web: { port: ${webPort} }
`);
  const check = (edit?: (t: string) => string) => deepProblems(parseConfigText(configText(edit), tmp));

  beforeAll(async () => {
    mkdirSync(creds);
    writeFileSync(join(creds, 'store.key'), 'ab'.repeat(32));
    restoreTls();
    writeFileSync(join(tmp, 'a-file'), 'not a folder');
    healthPort = await freePort();
    webPort = await freePort();
  });

  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a config the unit can run: no problems, and the CLI says OK', async () => {
    expect(await check()).toEqual([]);
    const file = join(tmp, 'good.yaml');
    writeFileSync(file, configText());
    const r = runCli(['config', 'check', '--deep', file]);
    expect(r.stdout).toMatch(/: OK \(deep/);
    expect(r.code).toBe(0);
  });

  it.each([
    [
      'a missing camera folder',
      (t: string) => t.replace('fixtures/demo/frames', 'fixtures/demo/nope'),
      /^cameras\[0\]\.path: .*nope does not exist/,
    ],
    [
      'a missing NMEA replay file',
      (t: string) => t.replace('demo-route.nmea', 'gone.nmea'),
      /^gps\.path: .*gone\.nmea does not exist/,
    ],
    [
      'a missing hot-list seed CSV',
      (t: string) => t.replace('hotlist.csv', 'gone.csv'),
      /^hotlist\.seedCsv\[0\]\.path: .*gone\.csv does not exist/,
    ],
    [
      'a data folder that cannot be created',
      (t: string) => t.replace(join(tmp, 'data', 'alpr'), join(tmp, 'a-file', 'alpr')),
      /^paths\.dataDir: .*a-file is not a folder/,
    ],
  ])('%s', async (_what, edit, expected) => {
    const problems = await check(edit);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it.each([
    [
      'a missing store.key',
      () => rmSync(join(creds, 'store.key')),
      /^store\.keyFile: .*store\.key does not exist/,
    ],
    [
      'a garbage store.key',
      () => writeFileSync(join(creds, 'store.key'), 'not a key'),
      /^store\.keyFile: .*must be 32 bytes/,
    ],
    ['a missing TLS file', () => rmSync(join(creds, 'ca.crt')), /^sync\.caFile: .*ca\.crt does not exist/],
    [
      'a client certificate and a key that are not a pair',
      () =>
        writeFileSync(
          join(creds, 'client.key'),
          generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }),
        ),
      /^sync\.keyFile: client\.crt and client\.key do not go together: the certificate was not issued for this key/,
    ],
    [
      'a TLS file that is not PEM',
      () => writeFileSync(join(creds, 'client.crt'), ''),
      /^sync\.certFile: .*client\.crt is not PEM/,
    ],
  ])('%s', async (_what, breakIt, expected) => {
    breakIt();
    try {
      const problems = await check();
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    } finally {
      writeFileSync(join(creds, 'store.key'), 'ab'.repeat(32));
      restoreTls();
    }
  });

  it('a model file that onnxruntime cannot load is a problem naming its key, and `alpr run` exits 2 on it, not 3', async () => {
    const bad = join(tmp, 'damaged.onnx');
    writeFileSync(bad, Buffer.alloc(5000, 0x5a));
    const edit = (t: string) => t.replace('web: {', `recognize: { recModel: ${bad} }\nweb: {`);
    const problems = await check(edit);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^recognize\.recModel: .*damaged\.onnx: not a model onnxruntime can load \(/);
    // the daemon meets the same file at start: a config error (2), which systemd does not restart
    const file = join(tmp, 'damaged-model.yaml');
    writeFileSync(
      file,
      edit(configText())
        .replace(/sync: \{[^\n]*\}/, 'sync: { type: none }')
        .replace(/health: \{[^\n]*\}/, ''),
    );
    const r = runCli(['run', '--config', file], { timeoutMs: 60_000 });
    expect(r.stderr + r.stdout).toMatch(/cannot load model .*damaged\.onnx/);
    expect(r.code).toBe(2);
  });

  it("web.tls names the page's certificate and key: missing ones are problems", async () => {
    const tls = (t: string) => t.replace('web: { port: ', 'web: { tls: true, port: ');
    expect(await check(tls)).toEqual([
      expect.stringMatching(/^web\.certFile: .*web\.crt does not exist/),
      expect.stringMatching(/^web\.keyFile: .*web\.key does not exist/),
    ]);
    writeFileSync(join(creds, 'web.crt'), PEM);
    writeFileSync(join(creds, 'web.key'), PEM);
    try {
      expect(await check(tls)).toEqual([]);
    } finally {
      rmSync(join(creds, 'web.crt'));
      rmSync(join(creds, 'web.key'));
    }
  });

  it.skipIf(isRoot)('an unreadable store.key', async () => {
    chmodSync(join(creds, 'store.key'), 0o000);
    try {
      expect(await check()).toEqual([expect.stringMatching(/^store\.keyFile: .*not readable/)]);
    } finally {
      chmodSync(join(creds, 'store.key'), 0o600);
    }
  });

  it('health and web ports already in use, and the CLI exits 1 listing both', async () => {
    for (const port of [healthPort, webPort]) {
      const s = createServer();
      await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
      servers.push(s);
    }
    const problems = await check();
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(`^health\\.http\\.port: 127\\.0\\.0\\.1:${healthPort} is already in use`),
      ),
      expect.stringMatching(new RegExp(`^web\\.port: 127\\.0\\.0\\.1:${webPort} is already in use`)),
    ]);
    const file = join(tmp, 'busy.yaml');
    writeFileSync(file, configText());
    const r = runCli(['config', 'check', '--deep', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2 problem\(s\)/);
    expect(r.stdout).toMatch(/health\.http\.port: .*already in use/);
    // Without --deep the schema alone passes it, as before.
    expect(runCli(['config', 'check', file]).code).toBe(0);
  });
});
