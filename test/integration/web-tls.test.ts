/**
 * The officer's page over HTTPS (web.tls) on a real TLS listener: the certificate an agency CA
 * would issue (self-signed here, by openssl), the sign-in cookie marked Secure, HSTS, the origin
 * check on https://, and no answer to plain HTTP on the same port.
 */
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl) console.warn('web-tls: skipped, openssl not installed (apt-get install openssl)');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe.skipIf(!hasOpenssl)("the officer's page over HTTPS", () => {
  const dir = mkdtempSync(join(tmpdir(), 'alpr-web-tls-'));
  let u: WebUnit;
  let ca: Buffer;

  /** One HTTPS request that trusts `trust` (the page's certificate by default). */
  const call = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    trust?: Buffer[],
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        `${u.base}${path}`,
        {
          method,
          ca: trust ?? [ca],
          headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  beforeAll(async () => {
    const key = join(dir, 'web.key');
    const crt = join(dir, 'web.crt');
    const r = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=alpr unit page',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      crt,
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    ca = readFileSync(crt);
    u = await startWebUnit({ tls: { cert: ca, key: readFileSync(key) } });
  });
  afterAll(async () => {
    await u?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page over TLS with HSTS', async () => {
    expect(u.base).toMatch(/^https:/);
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(page.body).toContain('<html');
  });

  it('signs in with the origin https://…, the cookie marked Secure; another origin is refused', async () => {
    const origin = u.base;
    const ok = await call('POST', '/api/signin', { badge: 'A100', pin: '1234' }, { origin });
    expect(ok.status).toBe(200);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/; Secure$/);
    expect(cookie).toContain('HttpOnly; SameSite=Strict');
    const session = cookie.split(';')[0]!;
    expect((await call('GET', '/api/session', undefined, { cookie: session })).status).toBe(200);
    // the same host named as plain http is another origin
    const plainOrigin = origin.replace('https:', 'http:');
    const refused = await call('POST', '/api/signout', {}, { origin: plainOrigin, cookie: session });
    expect(refused.status).toBe(403);
    const out = await call('POST', '/api/signout', {}, { origin, cookie: session });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0; Secure$/);
  });

  it('answers nothing over plain HTTP, and a client that does not trust the certificate is refused', async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(u.base.replace('https:', 'http:'), (res) =>
        resolve(`status ${res.statusCode}`),
      );
      req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.end();
    });
    expect(plain).not.toBe('status 200');
    await expect(call('GET', '/', undefined, {}, [])).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });
});
