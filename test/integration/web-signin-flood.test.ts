/**
 * One device sending many sign-ins at once over real HTTP, with real PIN hashes: it has at most
 * two checked at a time, the rest are answered 429 at once, and the officer's right PIN still
 * signs in; and a badge's wrong tries outlast a flood of made-up badges in the count, the roster's
 * and any other alike (what survives a flood says nothing of which badges exist).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_IN_FLIGHT } from '../../src/web/signin.ts';
import { client, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit;
beforeAll(async () => {
  u = await startWebUnit();
});
afterAll(async () => {
  await u?.stop();
});

describe('sign-in flood from one device', () => {
  it('checks at most two at a time and turns the rest away unhashed; the right PIN still gets in', async () => {
    const flood = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        client(u.base).call('/api/signin', { badge: `Z${i}`, pin: '0000' }),
      ),
    );
    const turnedAway = flood.filter((r) => r.status === 429);
    const checked = flood.filter((r) => r.status === 401);
    expect(turnedAway.length + checked.length).toBe(12);
    // sent together: only the first CLIENT_IN_FLIGHT can be in their hash when the rest arrive
    expect(checked.length).toBeLessThan(12 - CLIENT_IN_FLIGHT);
    expect(turnedAway[0]!.data.error).toBe('Other sign-ins from this device are being checked. Try again.');
    const me = await client(u.base).call('/api/signin', { badge: 'A100', pin: '1234' });
    expect(me.status).toBe(200);
  });

  it("keeps a badge's wrong tries while made-up badges fill the count, on the roster or not", () => {
    const max = u.web.deps.config.pinMaxFailures;
    const now = Date.now();
    // per badge and address (the badge's limit), and per badge across addresses (four times it)
    for (const [t, keys, limit] of [
      [u.web.localThrottle, ['A100 10.0.0.5', 'Q999 10.0.0.5'], max],
      [u.web.throttle, ['A100', 'Q999'], 4 * max],
    ] as const) {
      for (const key of keys) for (let i = 0; i < limit - 1; i++) t.fail(key, now + i);
      for (let i = 0; i < 10_050; i++) t.fail(`Y${i}${keys[0].slice(4)}`, now + 100 + i);
      for (const key of keys) {
        t.fail(key, now + 20_000);
        expect(t.waitMs(key, now + 20_001), key).toBeGreaterThan(0);
      }
    }
  });
});
