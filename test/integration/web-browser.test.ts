/**
 * The officer's page in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * sign in, acknowledge the lights, receive a hit pushed live, reject it, search, open a found read's
 * images, see the search and the image views in the audit trail, see the chain break when a row is
 * altered in SQLite, see "unit offline", and still be signed in when the daemon comes back.
 * Screenshots of the main screens go to docs/screenshots/ with ALPR_WEB_SCREENSHOTS=1.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from '../helpers/chromium.ts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFY_BANNER } from '../../src/domain/policy.ts';
import { WebStage } from '../../src/web/index.ts';
import { lightsAll, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

// The committed screenshots are refreshed only on request (ALPR_WEB_SCREENSHOTS=1): a plain test
// run must not leave tracked files changed.
const SHOTS =
  process.env.ALPR_WEB_SCREENSHOTS === '1'
    ? resolve(import.meta.dirname, '../../docs/screenshots')
    : mkdtempSync(join(tmpdir(), 'alpr-web-shots-'));

describe.skipIf(!hasChromium)('officer page in headless Chromium', () => {
  let u: WebUnit;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    u = await startWebUnit();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1024, height: 768 }, hasTouch: true });
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await u?.stop();
    if (process.env.ALPR_WEB_SCREENSHOTS !== '1') rmSync(SHOTS, { recursive: true, force: true });
  });

  // Palette PNGs: the screens are flat colours, so they stay small in the repository.
  const shot = async (name: string) =>
    sharp(await page.screenshot())
      .png({ palette: true, compressionLevel: 9 })
      .toFile(join(SHOTS, `${name}.png`));

  it('runs a shift: sign-in, lights, live hit, reject, search, images, audit, tamper, offline, back', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    u.setLights({
      ...lightsAll('green'),
      gps: { light: 'amber', reasons: ['gps: 2D fix only (3 satellites)'] },
    });
    await page.goto(u.base);
    await page.locator('#screen-signin').waitFor({ state: 'visible' });
    await page.locator('#signin-lights .light.amber[data-light="gps"]').waitFor();
    // A wrong PIN is refused with a clear message.
    await page.fill('#badge', 'A100');
    await page.fill('#pin', '9999');
    await page.click('#signin-form button[type=submit]');
    await expect.poll(() => page.textContent('#signin-error')).toMatch(/Wrong badge or PIN \(4 tries left\)/);
    await shot('sign-in');
    await page.fill('#pin', '1234');
    await page.click('#signin-form button[type=submit]');

    // Start-of-shift check: "all green" is not offered until the lights are green (pushed live).
    await page.locator('#screen-check').waitFor({ state: 'visible' });
    await page.locator('#check-lights .light.amber[data-light="gps"]').waitFor();
    expect(await page.isDisabled('#ack-green')).toBe(true);
    // the disabled button says why, not "All green"
    expect(await page.textContent('#ack-green')).toBe('Not all green (gps): record it below');
    // No list loaded in this unit: the hot-list line says so in red.
    expect(await page.textContent('#check-hotlist')).toBe('Hot lists: no hot list loaded');
    expect(await page.getAttribute('#check-hotlist', 'class')).toBe('hotlist red');
    await shot('lights-check');
    u.setLights(lightsAll('green'));
    await page.locator('#check-lights .light.green[data-light="gps"]').waitFor();
    expect(await page.isDisabled('#ack-green')).toBe(false);
    await page.click('#ack-green');
    await page.locator('#screen-main').waitFor({ state: 'visible' });
    expect(u.web.db!.lastShiftCheck('A100', 0)).toMatchObject({ allGreen: true });
    expect(u.web.currentOperator()).toBe('A100');

    // A hit pushed live: it takes over the screen; banner, level, marks, images, sound.
    const info = await u.emitHit({ list: 'SPECIAL', informational: true, priority: 5, reason: 'gang intel' });
    const hit = await u.emitHit(
      {
        priority: 1,
        approximate: true,
        substitutions: [3],
        entryPlate: 'ZQX8001',
        reason: 'stolen vehicle',
        level: 'possible',
        probability: 0.34,
        state: 'TX',
      },
      Date.now(),
      { readState: { code: 'CA', confidence: 0.93 } },
    );
    const emitted = Date.now();
    // The most urgent new hit is the one on top of the screen; the other waits its turn.
    const card = page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`);
    await card.waitFor();
    const shownMs = Date.now() - emitted;
    expect(await page.textContent('#takeover-more')).toBe('+1 more new hit(s) after this one');
    expect(await card.locator('.banner').textContent()).toBe(VERIFY_BANNER);
    // the level is in words and ≈, with the read and the entry side by side and how likely
    expect(await card.locator('.kind').textContent()).toBe('POSSIBLE ≈ HIT priority 1');
    expect(await card.locator('.level-icon').textContent()).toBe('≈');
    expect(await card.locator('.hit-head .plate mark.diff').allTextContents()).toEqual([hit.plate[3]]);
    expect(await card.locator('.compare').textContent()).toBe(
      `read${hit.plate}entryZQX8001 34% likely · differences marked`.replace(' 34', '34'),
    );
    expect(await card.locator('.compare .cmp-plate mark.diff').allTextContents()).toEqual([
      hit.plate[3],
      '8',
    ]);
    // the state read on the plate beside the entry's
    expect(await card.textContent()).toContain('CA (93%) — entry is TX');
    expect(await card.textContent()).toContain('northbound');
    expect(await card.textContent()).toContain('C-2026-0042');
    await expect
      .poll(() =>
        card
          .locator('img')
          .evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)),
      )
      .toEqual([160, 320]);
    expect(await page.evaluate('document.body.dataset.sound')).toBe('p1');
    await page.waitForTimeout(300);
    await shot('hit');
    await page.click('#ack');
    expect(await page.evaluate('document.body.dataset.sound')).toBeUndefined();
    const infoCard = page.locator(`#takeover-slot .hit.informational[data-id="${info.id}"]`);
    expect(await infoCard.locator('.kind').textContent()).toBe(
      'INFORMATIONAL (special list, this agency only)',
    );
    expect(await infoCard.locator('.banner').textContent()).toBe(VERIFY_BANNER);
    await page.click('#ack');
    await page.locator('#takeover').waitFor({ state: 'hidden' });

    // Reject in one tap, with a note.
    const listed = page.locator(`#hits .hit[data-id="${hit.id}"]`);
    await listed.locator('.note').fill('plate reads 8 not B');
    await listed.locator('.actions[data-ready] button[data-outcome=misread]').click();
    await expect
      .poll(() => page.locator(`.hit[data-id="${hit.id}"] .handling`).textContent())
      .toBe('REJECTED: Misread (the plate is not the one read) (A100)');
    expect(u.web.db!.hitStates([hit.id]).get(hit.id)).toMatchObject({
      to: 'rejected',
      reason: 'misread',
      note: 'plate reads 8 not B',
    });
    expect(await page.locator(`.hit[data-id="${hit.id}"] .actions`).isVisible()).toBe(false);

    // An officer hot plate: the hot-list stage's own errors, then an entry with name and phone.
    await page.click('button[data-tab=hotplate]');
    await page.fill('#hp-plate', '7abc123');
    await page.fill('#hp-reason', 'armed robbery suspect');
    await page.fill('#hp-expires', '2099-01-01T00:00');
    await page.click('#hp-form button[type=submit]');
    await expect.poll(() => page.textContent('#hp-result')).toContain('case number or XREF: one is required');
    await page.fill('#hp-case', 'C-2026-0099');
    await page.fill('#hp-phone', '555-0142');
    const exp = new Date(Date.now() + 3600_000);
    const local = new Date(exp.getTime() - exp.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('#hp-expires', local);
    await page.click('#hp-form button[type=submit]');
    await expect.poll(() => page.textContent('#hp-result')).toMatch(/^Added 7ABC123 until /);
    await shot('hot-plate');
    expect(u.hotlist.officerPlates().map((e) => [e.plate, e.officerName, e.officerPhone])).toEqual([
      ['7ABC123', 'Alex Rivera (A100)', '555-0142'],
    ]);

    // Search (audited), then see it in the audit trail.
    await page.click('button[data-tab=search]');
    await page.fill('#s-plate', hit.plate);
    await page.fill('#s-case', 'C-2026-0042');
    await page.fill('#s-reason', 'verify the hit history');
    await page.click('#search-form button[type=submit]');
    await expect
      .poll(() => page.textContent('#search-summary'))
      .toMatch(/^1 read\(s\); logged as audit row \d+\.$/);
    const seq = Number(/row (\d+)/.exec((await page.textContent('#search-summary'))!)![1]);
    // The found read's images: opened from the result, each view an audit row under the search.
    await page.locator(`#search-results tr[data-id="${hit.readId}"] button.view`).click();
    await expect
      .poll(() =>
        page
          .locator('#search-images img')
          .evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)),
      )
      .toEqual([160, 320]);
    expect(await page.textContent('#search-view-note')).toContain(`under search ${seq}`);
    await page.locator('#search-images').scrollIntoViewIfNeeded();
    await shot('search');
    await page.click('button[data-tab=audit]');
    const row = page.locator(`#audit tr[data-seq="${seq}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('verify the hit history');
    for (const [n, image] of [
      [seq + 1, 'plate'],
      [seq + 2, 'overview'],
    ] as const) {
      const view = page.locator(`#audit tr[data-seq="${n}"]`);
      expect(await view.textContent()).toContain('Opened an image');
      expect(await view.textContent()).toContain(`${image} image of a found read, under search ${seq}`);
      expect(await view.textContent()).toContain('C-2026-0042 · verify the hit history');
    }
    expect(await page.textContent('#audit-chain')).toMatch(/^Audit chain intact \(\d+ rows\)\.$/);
    await shot('audit');

    // Alter that row in SQLite: the page shows the chain broken at it.
    const raw = new Database(join(u.dirs.data, 'web.sqlite'));
    raw.exec('DROP TRIGGER audit_no_update');
    raw.prepare('UPDATE audit SET result_count = 7 WHERE seq = ?').run(seq);
    raw.close();
    await page.click('button[data-tab=search]');
    await page.click('button[data-tab=audit]');
    await expect
      .poll(() => page.textContent('#audit-chain'))
      .toBe(`AUDIT CHAIN BROKEN at row ${seq}: its content does not match its hash (altered)`);

    // The daemon goes away: the page says so, full screen.
    expect(await page.isVisible('#offline')).toBe(false);
    const stopped = Date.now();
    await u.web.stop();
    await page.locator('#offline').waitFor({ state: 'visible', timeout: 10_000 });
    await shot('offline');
    const offlineMs = Date.now() - stopped;

    // The daemon comes back (watchdog restart) on the same data dir and port: the page reconnects
    // by itself and the officer is still signed in (sessions are kept, as token hashes).
    const port = u.web.port!;
    const back = new WebStage({ ...u.web.deps, config: { ...u.web.deps.config, port } });
    await back.start();
    try {
      await page.locator('#offline').waitFor({ state: 'hidden', timeout: 15_000 });
      expect(await page.isVisible('#screen-main')).toBe(true);
      expect(back.currentOperator()).toBe('A100');
      await page.click('button[data-tab=search]');
      await page.click('button[data-tab=audit]');
      await page.locator(`#audit tr[data-seq="${seq}"]`).waitFor();
      expect(await page.isVisible('#screen-signin')).toBe(false);
    } finally {
      await back.stop();
    }
    expect(errors).toEqual([]);
    process.stdout.write(
      `web-browser: hit on the bus → card on screen ${shownMs} ms; daemon stop → "unit offline" ${offlineMs} ms\n`,
    );
  }, 90_000);
});
