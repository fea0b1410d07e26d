import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSelftest } from '../../src/commands/selftest.ts';
import { createLogger } from '../../src/core/log.ts';
import { checkBroker } from '../../src/health/broker.ts';
import {
  type Broker,
  destroyMosquitto,
  hasMosquitto,
  makeCerts,
  startMosquitto,
  writeCredentials,
} from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/free-port.ts';

if (!hasMosquitto) console.warn('selftest broker tests skipped: mosquitto not installed');

const UNIT = { id: 'car-12', agency: 'test-pd' };
const FILES = { caFile: 'ca.crt', certFile: 'client.crt', keyFile: 'client.key' };

describe.skipIf(!hasMosquitto)('self-test: the broker accepts the certificate (real TLS mosquitto)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-selftest-broker-'));
  let broker: Broker;
  const good = join(tmp, 'creds-good');
  const wrongCa = join(tmp, 'creds-wrong-ca');
  const foreignCert = join(tmp, 'creds-foreign-cert');

  beforeAll(async () => {
    broker = await startMosquitto({ tls: true });
    const certs = broker.certs!;
    const other = makeCerts(join(tmp, 'other-pki'), 'some-other-ca');
    writeCredentials(good, certs, UNIT.id);
    // Right client certificate, but the CA file of another authority: the server is not trusted.
    writeCredentials(wrongCa, certs, UNIT.id, other.ca);
    // Right CA, but a client certificate the broker's CA never signed.
    writeCredentials(foreignCert, certs, other.client(UNIT.id));
  }, 60_000);
  afterAll(async () => {
    await destroyMosquitto(broker);
    rmSync(tmp, { recursive: true, force: true });
  });

  const opts = (credentialsDir: string) => ({
    url: broker.url,
    protocolVersion: 5 as const,
    unit: UNIT,
    credentialsDir,
    ...FILES,
    timeoutMs: 5000,
  });

  it('passes with the unit certificate, saying how long the broker took', async () => {
    const c = await checkBroker(opts(good));
    expect(c).toMatchObject({ name: 'broker', result: 'pass' });
    expect(c.detail).toMatch(/^broker accepted the unit certificate in \d+ ms \(MQTT 5, TLS\)$/);
    expect(c.ms).toBeGreaterThanOrEqual(0);
  });

  it('passes over MQTT 3.1.1 too', async () => {
    const c = await checkBroker({ ...opts(good), protocolVersion: 4 });
    expect(c.result).toBe('pass');
    expect(c.detail).toContain('MQTT 3.1.1');
  });

  it('fails with a clear reason when the CA file is the wrong one', async () => {
    const c = await checkBroker(opts(wrongCa));
    expect(c.result).toBe('fail');
    expect(c.detail).toMatch(/server certificate not signed by the configured CA \(wrong caFile\?\)/);
    expect(c.detail).toContain(broker.url);
  });

  it('fails when the broker refuses the client certificate', async () => {
    const c = await checkBroker(opts(foreignCert));
    expect(c.result).toBe('fail');
    expect(c.detail).toMatch(
      /^TLS handshake refused by the broker \(client certificate not accepted: unknown ca, issued by a CA the broker does not trust\)/,
    );
  });

  it('fails when the broker is unreachable', async () => {
    const port = await freePort();
    const c = await checkBroker({ ...opts(good), url: `mqtts://127.0.0.1:${port}` });
    expect(c.result).toBe('fail');
    expect(c.detail).toMatch(/^connection refused \(broker down or wrong port\) \[ECONNREFUSED\]/);
  });

  it('fails naming the missing secret', async () => {
    const c = await checkBroker({ ...opts(good), keyFile: 'nope.key' });
    expect(c).toMatchObject({ result: 'fail' });
    expect(c.detail).toContain('cannot read secret "nope.key"');
  });

  it('`alpr selftest` runs the check when sync.type is mqtt', async () => {
    const write = (name: string, creds: string) => {
      const p = join(tmp, name);
      writeFileSync(
        p,
        [
          'version: 1',
          `unit: { id: ${UNIT.id}, agency: ${UNIT.agency} }`,
          `paths: { dataDir: ${tmp}, credentialsDir: ${creds} }`,
          'cameras: []',
          `recognize: { detModel: ${join(tmp, 'missing.onnx')} }`,
          'gps: { type: none }',
          `sync: { type: mqtt, url: "${broker.url}", caFile: ca.crt, certFile: client.crt, keyFile: client.key }`,
          '',
        ].join('\n'),
      );
      return p;
    };
    const log = createLogger({ level: 'silent' });
    const run = (file: string) =>
      runSelftest({
        config: write(file, file.includes('good') ? good : wrongCa),
        budgetMs: 1000,
        cameraTimeoutS: 1,
        log,
      });
    const ok = (await run('good.yaml')).checks.find((c) => c.name === 'broker');
    expect(ok?.result).toBe('pass');
    const bad = (await run('bad-ca.yaml')).checks.find((c) => c.name === 'broker');
    expect(bad?.result).toBe('fail');
    expect(bad?.detail).toContain('wrong caFile?');
  }, 30_000);
});
