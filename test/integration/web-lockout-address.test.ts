/**
 * Over real HTTP from two source addresses (127.0.0.1, the officer's screen, and 127.0.0.2, another
 * device on the network): the other device's wrong tries with the officer's badge lock that device
 * out, not the officer; the screen is remembered across a restart of the page.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit;
beforeAll(async () => {
  u = await startWebUnit({ web: { pinMaxFailures: 3, pinLockoutS: 600 } });
});
afterAll(async () => {
  await u?.stop();
});

/** POST /api/signin from a given local address; status and error text. */
function signIn(from: string, badge: string, pin: string): Promise<{ status: number; error: string }> {
  const body = JSON.stringify({ badge, pin });
  return new Promise((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${u.web.port}/api/signin`,
      {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            error: (JSON.parse(text) as { error?: string }).error ?? '',
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('wrong-PIN lockouts by badge and address', () => {
  it('another device cannot lock the officer out at the screen the badge signs in from, not even across a restart', async () => {
    expect((await signIn('127.0.0.1', 'A100', '1234')).status).toBe(200);
    const other = [];
    for (const pin of ['0000', '1111', '2222', '3333']) other.push(await signIn('127.0.0.2', 'A100', pin));
    expect(other.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(other[2]!.error).toMatch(/locked for 600 s/);
    expect((await signIn('127.0.0.2', 'A100', '1234')).status).toBe(429);
    // the screen's own sign-in is not refused
    expect((await signIn('127.0.0.1', 'A100', '1234')).status).toBe(200);
    // a restart keeps both: the other device still locked, the screen still the badge's
    await u.web.stop();
    await u.web.start();
    expect((await signIn('127.0.0.2', 'A100', '1234')).status).toBe(429);
    expect((await signIn('127.0.0.1', 'A100', '1234')).status).toBe(200);
  });
});
