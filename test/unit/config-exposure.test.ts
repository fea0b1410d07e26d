import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/load.ts';
import { wildcardHost } from '../../src/config/sections/common.ts';
import { healthSection } from '../../src/config/sections/health.ts';
import { syncSection } from '../../src/config/sections/sync.ts';
import { webSection } from '../../src/config/sections/web.ts';
import { Bus } from '../../src/core/bus.ts';
import { ConfigError } from '../../src/domain/errors.ts';
import { hotlistSection } from '../../src/config/sections/hotlist.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import { ROOT } from '../helpers/cli.ts';
import { captureLog } from '../helpers/sync-fixtures.ts';
import { aesSealer } from '../../src/domain/seal.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-exposure-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const WILDCARDS = [
  '0',
  '0.0.0.0',
  '::',
  '::0',
  '[::]',
  '0:0:0:0:0:0:0:0',
  '',
  ' ',
  '0x0',
  '0.0',
  '::ffff:0.0.0.0',
];

describe('config: no listening on every interface', () => {
  it.each(WILDCARDS)('web.host and health.http.host %j are refused', (host) => {
    expect(wildcardHost(host)).toBe(true);
    expect(webSection.safeParse({ host }).success).toBe(false);
    expect(healthSection.safeParse({ http: { host } }).success).toBe(false);
  });

  it.each(['127.0.0.1', '::1', 'localhost', '10.0.0.2', 'fe80::1%eth0', '0.0.0.1'])(
    'one interface %j is accepted',
    (host) => {
      expect(wildcardHost(host)).toBe(false);
      expect(webSection.safeParse({ host }).success).toBe(true);
      expect(healthSection.safeParse({ http: { host } }).success).toBe(true);
    },
  );

  it('names the path of a wildcard bind in the config', () => {
    let details: readonly string[] = [];
    try {
      parseConfigText('version: 1\nunit: { id: u1, agency: pd }\nhealth: { http: { host: "::0" } }\n', tmp);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      details = (e as ConfigError).details;
    }
    expect(details.join('\n')).toMatch(/health\.http\.host: .*never to every interface/);
  });
});

describe('config: the server link is encrypted', () => {
  it.each(['mqtt://b:1883', 'tcp://b:1883', 'ws://b:8080'])('plain %s is refused without insecure', (url) => {
    const r = syncSection.safeParse({ type: 'mqtt', url });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/mqtts:\/\/.*sync\.insecure: true/);
    expect(syncSection.safeParse({ type: 'mqtt', url, insecure: true }).success).toBe(true);
  });

  it.each(['mqtts://b:8883', 'wss://b:443', 'ssl://b:8883'])('%s is accepted as it is', (url) => {
    expect(syncSection.parse({ type: 'mqtt', url })).toMatchObject({ url, insecure: false });
  });

  it('the shipped configs load (the demo needs no insecure link)', () => {
    for (const f of ['config/default.yaml', 'config/demo.yaml'])
      expect(() => loadConfig(resolve(ROOT, f))).not.toThrow();
  });
});

describe('plates never reach the logs', () => {
  it('a config without alerts prints nothing to stdout', () => {
    const c = parseConfigText('version: 1\nunit: { id: u1, agency: pd }\n', tmp);
    expect(c.alerts).toMatchObject({ console: false, showReads: false });
  });

  it('plate fields are censored at every level, whatever the environment says', () => {
    const before = process.env.ALPR_LOG_PLATES;
    process.env.ALPR_LOG_PLATES = '1';
    try {
      const cap = captureLog('trace');
      cap.log.trace({ plate: 'PLT1TRC', read: { text: 'PLT2TRC' } }, 'trace');
      cap.log.debug({ text: 'PLT3DBG', entry: { plate: 'PLT4DBG' }, row: 'PLT5DBG,CA' }, 'debug');
      cap.log.info({ reading: { text: 'PLT6INF' }, rows: ['PLT7INF'] }, 'info');
      expect(cap.lines().length).toBe(3);
      expect(cap.text()).not.toMatch(/PLT\d/);
      expect(cap.text()).toContain('[redacted]');
    } finally {
      if (before === undefined) delete process.env.ALPR_LOG_PLATES;
      else process.env.ALPR_LOG_PLATES = before;
    }
  });

  it('rejected seed list rows are logged by line and column only, even at debug', async () => {
    const csv = join(tmp, 'seed.csv');
    writeFileSync(csv, 'plate,state\n7ABC123,CA\nSECRETPLATE99,CA\nZZZ999,CALIFORNIA\n');
    const cap = captureLog('trace');
    const stage = new HotlistStage({
      sealer: aesSealer(Buffer.alloc(32, 7), 'hotlist'),
      bus: new Bus(),
      log: cap.log,
      config: hotlistSection.parse({ seedCsv: [{ list: 'SVS', path: csv }] }),
      dbPath: join(tmp, 'hotlist.sqlite'),
    });
    await stage.start();
    try {
      const details = cap.lines().find((l) => l.msg === 'bad seed rows (details)');
      expect(details?.errors).toEqual([
        { line: 3, column: 'plate' },
        { line: 4, column: 'state' },
      ]);
      expect(cap.text()).not.toMatch(/SECRETPLATE99|ZZZ999|7ABC123/);
    } finally {
      await stage.stop();
    }
  });
});
