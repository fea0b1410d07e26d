import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { syncSection } from '../../src/config/sections/sync.ts';
import { certKeyProblem } from '../../src/config/secrets.ts';
import { loadTls } from '../../src/sync/link.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpr-tls-pair-'));
const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
ssl(
  ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
    '-subj',
    '/CN=unit-7',
    '-days',
    '2',
    '-keyout',
    'unit.key',
    '-out',
    'unit.crt',
  ]),
);
ssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (keyFile: string) => {
  const c = syncSection.parse({ type: 'mqtt', url: 'mqtts://127.0.0.1:8883', certFile: 'unit.crt', keyFile });
  if (c.type !== 'mqtt') throw new Error('unreachable');
  return c;
};

describe("the unit's client certificate and key", () => {
  it('a pair loads; a key from another pair is named with both config keys, before any connection', () => {
    const cert = readFileSync(join(dir, 'unit.crt'));
    expect(certKeyProblem(cert, readFileSync(join(dir, 'unit.key')))).toBeNull();
    expect(certKeyProblem(cert, readFileSync(join(dir, 'other.key')))).toMatch(/not issued for this key/);
    const log = pino({ level: 'silent' });
    expect(loadTls(config('unit.key'), dir, log).cert).toBeDefined();
    expect(() => loadTls(config('other.key'), dir, log)).toThrow(
      /^sync\.certFile \(unit\.crt\) and sync\.keyFile \(other\.key\) do not go together: the certificate was not issued for this key/,
    );
  });

  it('a file that is not a certificate or not a key says which', () => {
    writeFileSync(join(dir, 'junk.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(certKeyProblem(readFileSync(join(dir, 'junk.pem')), readFileSync(join(dir, 'unit.key')))).toMatch(
      /^the certificate cannot be read/,
    );
    expect(certKeyProblem(readFileSync(join(dir, 'unit.crt')), Buffer.from('not a key'))).toMatch(
      /^the key cannot be read/,
    );
  });
});
