/**
 * The officer's page on a tablet held upright (600×1024) in real Chromium: nothing runs off the
 * right edge (the four lights, the hit card, the search form), a hit during the start-of-shift
 * check shuts the check off behind it, an image opens on the whole screen, a light with nothing
 * configured behind it is named on the button that confirms it, and the day theme covers the page.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openTouchPage } from '../helpers/chromium.ts';
import { lightsAll, searchStoredRead, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

const VIEWPORT = { width: 600, height: 1024 };

/** How far the page, and the given elements, reach past the screen's right edge (px, 0 if not). */
function overflow(page: Page, selector: string): Promise<{ page: number; elements: number }> {
  return page.evaluate(`(() => {
    const w = window.innerWidth;
    const right = [...document.querySelectorAll(${JSON.stringify(selector)})]
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => e.getBoundingClientRect().right);
    return {
      page: Math.max(0, document.scrollingElement.scrollWidth - w),
      elements: Math.max(0, ...right.map((r) => Math.ceil(r - w))),
    };
  })()`);
}

describe.skipIf(!hasChromium)('the page at 600×1024 (a tablet held upright)', () => {
  let u: WebUnit;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    u = await startWebUnit();
    // a unit without a server link: its server light is grey, "not configured"
    u.setLights({ ...lightsAll('green'), server: { light: 'green', reasons: ['server: not configured'] } });
    ({ browser, page, errors } = await openTouchPage(VIEWPORT));
    await page.goto(u.base);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await u?.stop();
  });

  it('shows the four lights within the screen, and names the grey one on the check button', async () => {
    await page.locator('#signin-lights .light').first().waitFor();
    expect(await overflow(page, '#signin-lights .light')).toEqual({ page: 0, elements: 0 });
    await page.fill('#badge', 'A100');
    await page.fill('#pin', '1234');
    await page.click('#signin-form button[type=submit]');
    await page.locator('#screen-check').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#check-lights .light').count()).toBe(4);
    expect(await overflow(page, '#check-lights .light')).toEqual({ page: 0, elements: 0 });
    await expect
      .poll(() => page.textContent('#ack-green'))
      .toBe('All green (server not configured): acknowledge');
  });

  it('a hit during the check covers it (nothing behind reachable) and fits; an image opens full screen', async () => {
    const hit = await u.emitHit({ priority: 1, reason: 'stolen vehicle' });
    const card = page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`);
    await card.waitFor();
    const inert = await page.evaluate(
      `['bar', 'screen-signin', 'screen-check'].map((id) => document.getElementById(id).inert)`,
    );
    expect(inert).toEqual([true, true, true]);
    const img = card.locator('.images img').first();
    await expect
      .poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    expect(await overflow(page, '#takeover-slot .hit, #takeover-slot .images img')).toEqual({
      page: 0,
      elements: 0,
    });
    const takeoverScroll = await page.evaluate(
      `(() => { const t = document.getElementById('takeover'); return t.scrollWidth - t.clientWidth; })()`,
    );
    expect(takeoverScroll).toBeLessThanOrEqual(0);
    // a tap on the thumbnail: the image on the whole screen; Close puts it away
    await img.tap();
    const zoom = page.locator('#zoom');
    await zoom.waitFor();
    const big = await page.evaluate(`document.querySelector('#zoom img').getBoundingClientRect().width`);
    expect(big).toBeGreaterThan(300);
    await page.tap('#zoom .zoom-close');
    await zoom.waitFor({ state: 'detached' });
    expect(await page.isVisible('#takeover')).toBe(true);
    await page.tap('#ack');
    await page.locator('#takeover').waitFor({ state: 'hidden' });
  });

  it('records the grey light as such, marks the read that raised the hit, keeps the search form on screen', async () => {
    await page.tap('#ack-green');
    await page.locator('#screen-main').waitFor({ state: 'visible' });
    // the recent reads: under headers, the hit's read marked
    expect(await page.locator('#reads th').allTextContents()).toEqual([
      'Plate',
      'Sure',
      'Camera',
      'Seen',
      'Hit',
    ]);
    await expect.poll(() => page.locator('#reads td.hit-mark').allTextContents()).toContain('⚠ hit');
    await page.tap('button[data-tab=search]');
    expect(await overflow(page, '#search-form label, #search-form button')).toEqual({ page: 0, elements: 0 });
    await page.tap('button[data-tab=audit]');
    const check = page.locator('#audit tr[data-kind="shift-check"]').first();
    await check.waitFor();
    expect(await check.textContent()).toContain('all lights green (server not configured)');
    // the audit trail and search results: each row a card, each cell under its column's name,
    // nothing off the right edge (the Images button included)
    expect(await overflow(page, '#audit td')).toEqual({ page: 0, elements: 0 });
    const { row } = await searchStoredRead(u, page, 'narrow screen check', 4242);
    expect(await overflow(page, '#search-results td, #search-results button')).toEqual({
      page: 0,
      elements: 0,
    });
    expect(
      await row.locator('td').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-label'))),
    ).toEqual(['Plate', 'Seen', 'Camera', 'Position', 'Officer', 'Images']);
  });

  it('a new hit closes an open picture: nothing sits over the takeover', async () => {
    await page.tap('button[data-tab=live]');
    await page.locator('#hits .hit .images img').first().tap();
    await page.locator('#zoom').waitFor();
    const hit = await u.emitHit({ priority: 1, reason: 'stolen vehicle' });
    await page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`).waitFor();
    expect(await page.locator('#zoom').count()).toBe(0);
    const atAck = await page.evaluate(`(() => {
      const r = document.getElementById('ack').getBoundingClientRect();
      return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)?.id;
    })()`);
    expect(atAck).toBe('ack');
    await page.tap('#ack');
    await page.locator('#takeover').waitFor({ state: 'hidden' });
  });

  it('an older status answer that comes back last does not overwrite the newer one', async () => {
    await page.tap('button[data-tab=live]');
    let first = true;
    await page.route('**/api/status', async (route) => {
      const res = await route.fetch();
      if (first) {
        // the answer to the first question is held back until after the second's
        first = false;
        await new Promise((r) => setTimeout(r, 1500));
      }
      await route.fulfill({ response: res });
    });
    const gps = page.locator('#status-lights details[data-light=gps]');
    u.setLights({ ...lightsAll('green'), gps: { light: 'red', reasons: ['gps: no fix'] } });
    await new Promise((r) => setTimeout(r, 300));
    u.setLights({ ...lightsAll('green'), server: { light: 'green', reasons: ['server: not configured'] } });
    await new Promise((r) => setTimeout(r, 2500));
    expect(await gps.getAttribute('class')).toBe('slight green');
    await page.unroute('**/api/status');
  });

  it('the day theme covers the whole screen, and the armed sign-out is legible on it', async () => {
    while ((await page.textContent('#theme')) !== 'Day') await page.tap('#theme');
    const bg = await page.evaluate(`getComputedStyle(document.documentElement).backgroundColor`);
    expect(bg).toBe('rgb(238, 241, 244)');
    await page.tap('#signout');
    expect(await page.textContent('#signout')).toBe('Tap again to sign out');
    expect(await page.evaluate(`getComputedStyle(document.getElementById('signout')).color`)).toBe(
      'rgb(255, 255, 255)',
    );
    expect(errors).toEqual([]);
  });
});
