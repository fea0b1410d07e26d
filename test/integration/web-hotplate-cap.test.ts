/**
 * One officer may have at most MAX_OWN_PLATES hot plates live (each is an alert for up to 30 days):
 * the next is refused with 409 until one is cancelled; another officer is not held up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OWN_PLATES } from '../../src/web/api-hotplates.ts';
import { client, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit;
beforeAll(async () => {
  u = await startWebUnit();
});
afterAll(async () => {
  await u?.stop();
});

const plate = (i: number) => ({
  plate: `7HP${String(i).padStart(4, '0')}`,
  caseNumber: `C-${i + 1}`,
  reason: 'stolen vehicle report',
  expires: new Date(Date.now() + 3600_000).toISOString(),
  inStateSystems: true,
});

describe('hot plates per officer', () => {
  it(`refuses the ${MAX_OWN_PLATES + 1}th live plate until one is cancelled`, async () => {
    const c = client(u.base);
    expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    for (let i = 0; i < MAX_OWN_PLATES; i++)
      expect((await c.call('/api/hotplates', plate(i))).status).toBe(200);
    const over = await c.call('/api/hotplates', plate(MAX_OWN_PLATES));
    expect(over.status).toBe(409);
    expect(over.data.error).toBe(
      `You have ${MAX_OWN_PLATES} hot plates live: cancel one before entering another.`,
    );
    expect(u.hotlist.officerPlates()).toHaveLength(MAX_OWN_PLATES);
    // another officer enters theirs
    const d = client(u.base);
    expect((await d.call('/api/signin', { badge: 'D400', pin: '5678' })).status).toBe(200);
    expect((await d.call('/api/hotplates', plate(900))).status).toBe(200);
  });
});
