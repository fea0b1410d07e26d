/**
 * The page limits searches per badge over real HTTP: the searches over the limit are answered 429
 * with the wait, never run and never audited; another badge still searches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit;
beforeAll(async () => {
  u = await startWebUnit({ web: { searchesPerMinute: 2 } });
});
afterAll(async () => {
  await u?.stop();
});

describe('searches per badge', () => {
  it('refuses the third search in a minute with 429, runs and audits only two', async () => {
    const c = client(u.base);
    expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    const search = (caseNumber: string) =>
      c.call('/api/search', { plate: 'ABC123', reason: 'stolen car report', caseNumber });
    expect((await search('C-1')).status).toBe(200);
    expect((await search('C-2')).status).toBe(200);
    const third = await search('C-3');
    expect(third.status).toBe(429);
    expect(third.data.error).toMatch(
      /^Too many searches: at most 2 a minute and 12 an hour\. Try again in \d+ s\.$/,
    );
    const rows = (await c.call('/api/audit')).data.rows as { kind: string; caseNumber: string }[];
    expect(
      rows
        .filter((r) => r.kind === 'search')
        .map((r) => r.caseNumber)
        .sort(),
    ).toEqual(['C-1', 'C-2']);
    // a form with problems is answered 400 as before, and counts nothing
    expect((await c.call('/api/search', { plate: 'ABC123' })).status).toBe(400);
    // another officer is not held up by this one
    const d = client(u.base);
    expect((await d.call('/api/signin', { badge: 'D400', pin: '5678' })).status).toBe(200);
    expect(
      (await d.call('/api/search', { plate: 'ABC123', reason: 'area canvass', caseNumber: 'C-4' })).status,
    ).toBe(200);
  });
});
