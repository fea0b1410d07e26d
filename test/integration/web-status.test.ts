import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, openTouchPage, VIEWPORTS } from '../helpers/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HotlistEntry } from '../../src/hotlist/match.ts';
import { client, lightsAll, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

/** In the page: an element's computed text colour (run by Playwright in the browser). */
declare function getComputedStyle(e: unknown): { color: string };

// Screenshots of the status panel and the lists at each size, on request, into a folder of one's choosing.
const SHOTS = process.env.ALPR_WEB_SHOTS_DIR;
const H = 3600_000;

// The page's globals that the functions run in the page use (this project has no DOM lib).
declare const document: { documentElement: { scrollWidth: number } };

function entry(list: string, plate: string): HotlistEntry {
  return {
    list,
    plate,
    raw: plate,
    state: null,
    priority: 2,
    caseNumber: 'C-1',
    xref: null,
    reason: 'stolen vehicle',
    officerName: null,
    officerPhone: null,
    synopsis: null,
    informational: false,
    shareable: true,
    source: null,
    created: Date.now(),
    expires: null,
  };
}

const inAnHour = () => new Date(Date.now() + H).toISOString();

describe.skipIf(!hasChromium).each(VIEWPORTS)('status and records at $width×$height', (viewport) => {
  let u: WebUnit;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    u = await startWebUnit();
    ({ browser, page, errors } = await openTouchPage(viewport));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await u?.stop();
  });

  const shot = async (name: string) => {
    if (SHOTS)
      await page.screenshot({ path: join(SHOTS, `${name}-${viewport.width}x${viewport.height}.png`) });
  };

  const fitsScreen = async (selector: string) => {
    const box = (await page.locator(selector).boundingBox())!;
    // (to the half pixel: a box scrolled to the screen's edge ends at fractions of one)
    const edge = (v: number, end: number) => v <= end + 0.5;
    return (
      box.y >= -0.5 && edge(box.y + box.height, viewport.height) && edge(box.x + box.width, viewport.width)
    );
  };

  it('shows every light with its reasons, hot-list ages and the last acknowledged upload', async () => {
    const now = Date.now();
    await u.hotlist.applyVersion({ list: 'STATE_OLD', version: 7, issuedAt: now - 13 * H }, [
      entry('STATE_OLD', 'OLD1234'),
    ]);
    await u.hotlist.applyVersion({ list: 'STATE_NEW', version: 9, issuedAt: now - 2 * H }, [
      entry('STATE_NEW', 'NEW1234'),
    ]);
    u.setLightParts({
      gps: [{ component: 'gps', light: 'green', reason: '3D fix, 9 satellites' }],
      cameras: [{ component: 'camera:front', light: 'green', reason: '15 fps' }],
    });
    u.setUpload({ depth: 2, lastAckedAt: now - 3 * 60_000 });
    u.setLights({
      ...lightsAll('green'),
      server: { light: 'green', reasons: ['server: not configured'] },
    });
    await page.goto(u.base);
    await page.fill('#badge', 'A100');
    await page.fill('#pin', '1234');
    await page.click('#signin-form button[type=submit]');
    // Not configured is not green, on the start-of-shift check too.
    await page.locator('#check-lights .light.grey[data-light="server"]').waitFor();
    expect(await page.textContent('#check-lights [data-light="server"] .name')).toBe(
      'server: not configured',
    );
    await page.click('#ack-green');
    await page.locator('#screen-main').waitFor({ state: 'visible' });

    const gps = page.locator('#status-lights details[data-light="gps"]');
    await gps.waitFor();
    expect(await gps.getAttribute('class')).toBe('slight green');
    const gpsParts = gps.locator('.slight-parts li');
    expect(await gpsParts.first().isVisible()).toBe(false);
    await gps.locator('summary').tap();
    await expect.poll(() => gpsParts.first().isVisible()).toBe(true);
    expect(await gpsParts.allTextContents()).toEqual(['gps: 3D fix, 9 satellites']);
    // A light nobody reported parts of still opens to words, not to nothing.
    const system = page.locator('#status-lights details[data-light="system"]');
    await system.locator('summary').tap();
    await expect.poll(() => system.locator('.slight-words').textContent()).toBe('working');
    expect(await gps.locator('summary').textContent()).toBe('● gps: GREEN');
    // A grey light opens to what it means, not to its summary's words again.
    const greyServer = page.locator('#status-lights details[data-light="server"]');
    expect(await greyServer.locator('summary').textContent()).toBe('○ server: NOT CONFIGURED');
    await greyServer.locator('summary').tap();
    await expect
      .poll(() => greyServer.locator('.slight-words').textContent())
      .toBe('no server link is set up: reads and hits stay on this unit');
    // The open light stays open when the status is refreshed.
    u.setLights({ ...lightsAll('green'), server: { light: 'green', reasons: ['server: not configured'] } });
    await page.waitForTimeout(300);
    expect(await gpsParts.first().isVisible()).toBe(true);

    // Under a red cameras light, a working camera is in its own green, and a reason that names
    // its camera is not prefixed with the name again.
    u.setLightParts({
      gps: [{ component: 'gps', light: 'green', reason: '3D fix, 9 satellites' }],
      cameras: [
        { component: 'camera:front', light: 'green', reason: 'camera front: frames arriving' },
        { component: 'camera:rear', light: 'red', reason: 'camera rear: no frame for over 1 min' },
      ],
    });
    u.setLights({ ...lightsAll('green'), cameras: { light: 'red', reasons: ['camera rear: no frame'] } });
    const cams = page.locator('#status-lights details[data-light="cameras"]');
    await page.locator('#status-lights details.red[data-light="cameras"]').waitFor();
    await cams.locator('summary').tap();
    const camParts = cams.locator('.slight-parts li');
    await expect
      .poll(() => camParts.allTextContents())
      .toEqual(['camera front: frames arriving', 'camera rear: no frame for over 1 min']);
    const colours = await camParts.evaluateAll((n) => n.map((e) => getComputedStyle(e).color));
    expect(colours[0]).not.toBe(colours[1]);
    expect(await cams.locator('summary').textContent()).toBe('■ cameras: RED');
    await cams.locator('summary').tap(); // closed again, as the rest of the walk expects
    u.setLights({
      ...lightsAll('green'),
      server: { light: 'green', reasons: ['server: not configured'] },
    });
    await page.locator('#status-lights details.green[data-light="cameras"]').waitFor();

    const server = page.locator('#status-lights details[data-light="server"]');
    expect(await server.getAttribute('class')).toBe('slight grey');
    expect(await server.locator('summary').textContent()).toBe('○ server: NOT CONFIGURED');
    expect(await page.getAttribute('#mini-lights .dot:nth-child(2)', 'class')).toBe('dot grey');
    expect(await page.textContent('#mini-lights .dot:nth-child(2)')).toBe('server: not configured');

    const old = page.locator('#status-lists .hl[data-list="STATE_OLD"]');
    expect(await old.getAttribute('class')).toBe('hl amber');
    expect(await old.textContent()).toBe('▲ STATE_OLD v7: 13.0 h old, limit 12.0 h (TOO OLD)');
    const fresh = page.locator('#status-lists .hl[data-list="STATE_NEW"]');
    expect(await fresh.getAttribute('class')).toBe('hl green');
    expect(await fresh.textContent()).toBe('STATE_NEW v9: 2.0 h old, limit 12.0 h');
    expect(await page.textContent('#status-upload')).toMatch(
      /^Last upload acknowledged by the server: .+ \(3 min ago\) · 2 waiting$/,
    );
    for (const s of ['#status-lights', '#status-lists', '#status-upload'])
      expect(await fitsScreen(s)).toBe(true);
    // The header with its longest light words still holds the officer's name and Sign out, on
    // screen, and the page does not scroll sideways.
    for (const s of ['#mini-lights', '#theme', '#who', '#signout']) expect(await fitsScreen(s), s).toBe(true);
    expect(await page.textContent('#who')).toContain('A100');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      viewport.width,
    );
    await shot('status');

    // A unit without a server link says so in words, in grey.
    u.setUpload(null);
    u.setLights(lightsAll('green'));
    await expect
      .poll(() => page.textContent('#status-upload'))
      .toBe('Upload: server not configured (reads stay on this unit)');
    expect(await page.getAttribute('#status-upload', 'class')).toBe('status-line grey');
    await expect.poll(() => server.getAttribute('class')).toBe('slight green');
  });

  it("lists the officer's own hot plates and cancels one", async () => {
    await page.click('button[data-tab=hotplate]');
    await expect.poll(() => page.isVisible('#hp-none')).toBe(true);
    const fill = async (plate: string) => {
      await page.fill('#hp-plate', plate);
      await page.fill('#hp-case', 'C-2026-0099');
      await page.fill('#hp-reason', 'armed robbery suspect');
      const exp = new Date(Date.now() + H);
      await page.fill(
        '#hp-expires',
        new Date(exp.getTime() - exp.getTimezoneOffset() * 60_000).toISOString().slice(0, 16),
      );
    };
    for (const plate of ['7abc123', '8xyz999']) {
      await fill(plate);
      await page.click('#hp-form button[type=submit]');
      await expect.poll(() => page.textContent('#hp-result')).toContain(`Added ${plate.toUpperCase()} `);
      // the form is empty for the next plate: nothing of this one's case goes in under another
      expect(await page.inputValue('#hp-plate')).toBe('');
      expect(await page.inputValue('#hp-case')).toBe('');
    }
    // The same plate twice is refused, in words.
    await fill('8xyz999');
    await page.click('#hp-form button[type=submit]');
    await expect.poll(() => page.textContent('#hp-result')).toContain('plate: already an officer hot plate');
    const rows = page.locator('#hp-mine tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator('#hp-mine th').allTextContents()).toEqual([
      'Plate',
      'Case',
      'Reason',
      'Expires',
      '',
    ]);
    const mine = page.locator('#hp-mine tr[data-plate="7ABC123"]');
    expect(await mine.textContent()).toContain('armed robbery suspect');
    const cancel = mine.locator('button.cancel');
    await cancel.scrollIntoViewIfNeeded();
    expect(await fitsScreen('#hp-mine tr[data-plate="7ABC123"] button.cancel')).toBe(true);
    // one tap only arms it (a stray tap takes no plate off the list); the second cancels
    const cellsAt = () =>
      mine.locator('td').evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().left)));
    const before = { cells: await cellsAt(), width: (await cancel.boundingBox())!.width };
    await cancel.tap();
    expect(await cancel.textContent()).toBe('Tap again to cancel');
    // the armed words wrap in the button's own width: no cell of the row moves under the finger
    expect(await cellsAt()).toEqual(before.cells);
    expect((await cancel.boundingBox())!.width).toBeCloseTo(before.width, 0);
    await cancel.scrollIntoViewIfNeeded();
    expect(await fitsScreen('#hp-mine tr[data-plate="7ABC123"] button.cancel')).toBe(true);
    await page.waitForTimeout(300);
    expect(
      u.hotlist
        .officerPlates()
        .map((e) => e.plate)
        .sort(),
    ).toEqual(['7ABC123', '8XYZ999']);
    await cancel.tap();
    await expect.poll(() => page.textContent('#hp-result')).toBe('Cancelled 7ABC123.');
    await expect.poll(() => rows.count()).toBe(1);
    await shot('own-hot-plates');
    expect(u.hotlist.officerPlates().map((e) => e.plate)).toEqual(['8XYZ999']);
    // The officers' own list shows its count, not a timestamp-version and an age.
    await expect
      .poll(() => page.textContent('#status-lists .hl[data-list="LOCAL"]'))
      .toBe('LOCAL: 1 officer plate(s)');
  });

  it('shows search results under headers and the audit trail in words', async () => {
    const hit = await u.emitHit({ priority: 2, reason: 'stolen vehicle' });
    await page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`).waitFor();
    await page.click('#ack');
    const card = page.locator(`#hits .hit[data-id="${hit.id}"]`);
    await card.locator('.note').fill('different make');
    await card.locator('.actions[data-ready] button[data-outcome=vehicle-mismatch]').click();
    await expect
      .poll(() => card.locator('.handling').textContent())
      .toBe('REJECTED: Vehicle does not match the entry (A100)');
    expect(await card.textContent()).toContain('different make');

    await page.click('button[data-tab=search]');
    await page.fill('#s-plate', hit.plate);
    await page.fill('#s-case', 'C-2026-0042');
    await page.fill('#s-reason', 'verify the hit history');
    await page.click('#search-form button[type=submit]');
    await page.locator(`#search-results tr[data-id="${hit.readId}"]`).waitFor();
    expect(await page.locator('#search-results th').allTextContents()).toEqual([
      'Plate',
      'Seen',
      'Camera',
      'Position',
      'Officer',
      'Images',
    ]);

    await page.click('button[data-tab=audit]');
    const rejected = page.locator('#audit tr[data-kind="hit-action"]').first();
    await rejected.waitFor();
    const text = (await rejected.textContent())!;
    expect(text).toContain('Handled a hit');
    expect(text).toContain(
      `${hit.plate} (${hit.match.list}): rejected: new → rejected · note: different make`,
    );
    expect(text).toContain('Vehicle does not match the entry');
    expect(text).not.toContain('vehicle-mismatch');
    const cancelled = (await page.locator('#audit tr[data-kind="hot-plate-cancel"]').textContent())!;
    expect(cancelled).toContain('Cancelled a hot plate');
    expect(cancelled).toMatch(/7ABC123 \(added .+\)/);
    const search = (await page.locator('#audit tr[data-kind="search"]').first().textContent())!;
    expect(search).toContain(`Searched stored reads`);
    expect(search).toContain(`plate ${hit.plate}`);
    // Nothing raw: no JSON, no epoch milliseconds, anywhere in the trail.
    const all = (await page.textContent('#audit'))!;
    expect(all).not.toMatch(/[{}"]/);
    expect(all).not.toMatch(/\d{12,}/);
    await shot('audit-words');
    expect(errors).toEqual([]);
  });
});

describe('input checks of the page API', () => {
  let u: WebUnit;
  beforeAll(async () => {
    u = await startWebUnit();
  });
  afterAll(async () => {
    await u?.stop();
  });

  const signIn = async (badge: string, pin: string) => {
    const c = client(u.base);
    expect((await c.call('/api/signin', { badge, pin })).status).toBe(200);
    return c;
  };
  const plate = (p: string) => ({
    plate: p,
    caseNumber: 'C-9',
    reason: 'armed robbery',
    expires: inAnHour(),
  });

  it('refuses hot plates with fewer than 3 known characters, and the same plate twice', async () => {
    const c = await signIn('A100', '1234');
    for (const p of ['**', 'A**', 'AB*']) {
      const r = await c.call('/api/hotplates', plate(p));
      expect(r.status, p).toBe(400);
      expect(r.data.details, p).toContain('plate: at least 3 known letters or digits (not *)');
    }
    expect((await c.call('/api/hotplates', plate('AB*1'))).status).toBe(200);
    const again = await c.call('/api/hotplates', plate('ab*1'));
    expect(again.status).toBe(400);
    expect(again.data.details).toEqual([
      'plate: already an officer hot plate (cancel that one first to change it)',
    ]);
    expect(u.hotlist.officerPlates().map((e) => e.plate)).toEqual(['AB*1']);
  });

  it("lists and cancels only the officer's own hot plates", async () => {
    const a = await signIn('A100', '1234');
    const mine = (await a.call('/api/hotplates')).data.plates as { plate: string; created: number }[];
    expect(mine.map((p) => p.plate)).toEqual(['AB*1']);
    const d = await signIn('D400', '5678');
    expect((await d.call('/api/hotplates', plate('DDD444'))).status).toBe(200);
    const theirs = (await d.call('/api/hotplates')).data.plates as { plate: string; created: number }[];
    expect(theirs.map((p) => p.plate)).toEqual(['DDD444']);
    const refused = await d.call('/api/hotplates/cancel', { plate: 'AB*1', created: mine[0]!.created });
    expect(refused.status).toBe(404);
    expect(
      u.hotlist
        .officerPlates()
        .map((e) => e.plate)
        .sort(),
    ).toEqual(['AB*1', 'DDD444']);
    const ok = await d.call('/api/hotplates/cancel', { plate: 'DDD444', created: theirs[0]!.created });
    expect(ok.status).toBe(200);
    expect(u.hotlist.officerPlates().map((e) => e.plate)).toEqual(['AB*1']);
    // Cancelled plates no longer match, and the cancel is an audit row of its own.
    expect(u.hotlist.match({ plate: 'DDD444', candidates: [], state: null })).toEqual([]);
    expect(u.web.db!.recentAudit(5, 'D400').map((r) => r.kind)).toContain('hot-plate-cancel');
  });

  it('refuses a one-word search reason and an implausible case number', async () => {
    const c = await signIn('A100', '1234');
    const r = await c.call('/api/search', { plate: 'ABC123', caseNumber: 'xx', reason: 'asdf' });
    expect(r.status).toBe(400);
    expect(r.data.details).toEqual([
      'reason: say why in a few words, not one',
      'case number: required, 3 to 40 letters, digits, - / _ with at least one digit (C-2026-0042)',
    ]);
    for (const caseNumber of ['abcd', 'C1', '-2026']) {
      const bad = await c.call('/api/search', { plate: 'ABC123', caseNumber, reason: 'verify a hit' });
      expect(bad.status, caseNumber).toBe(400);
    }
    const ok = await c.call('/api/search', { plate: 'ABC123', caseNumber: 'C-8', reason: 'verify a hit' });
    expect(ok.status).toBe(200);
  });
});
