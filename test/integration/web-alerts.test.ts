import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, openTouchPage, VIEWPORTS } from '../helpers/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/domain/types.ts';
import { lightsAll, searchStoredRead, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

// Screenshots of the takeover at each size, on request, into a folder of one's choosing.
const SHOTS = process.env.ALPR_WEB_SHOTS_DIR;

// Audio held suspended unless started or resumed during a user activation (a tap, a key), as
// browsers' autoplay policy does; navigator.userActivation is the browser's own record of it.
const AUTOPLAY_RULE = `{
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...a) {
      super(...a);
      if (!navigator.userActivation.isActive) void this.suspend();
    }
    resume() {
      return navigator.userActivation.isActive ? super.resume() : Promise.resolve();
    }
  };
}`;

// The page's globals that the functions run in the page use (this project has no DOM lib).
interface PageNode {
  id: string;
  inert: boolean;
  click(): void;
  parentElement: PageNode | null;
  closest(s: string): PageNode | null;
}
declare const document: {
  body: PageNode & {
    dataset: Record<string, string | undefined>;
    classList: { toggle(c: string, on: boolean): void };
  };
  activeElement: PageNode | null;
  elementFromPoint(x: number, y: number): PageNode | null;
  getElementById(id: string): PageNode;
  querySelector(s: string): PageNode | null;
};
declare const window: { scrollTo(x: number, y: number): void };
declare function getComputedStyle(e: unknown): {
  borderLeftColor: string;
  opacity: string;
  fontSize: string;
  backgroundColor: string;
  color: string;
};

describe.skipIf(!hasChromium).each(VIEWPORTS)('hit alerts at $width×$height', (viewport) => {
  let u: WebUnit;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    u = await startWebUnit();
    ({ browser, page, errors } = await openTouchPage(viewport, AUTOPLAY_RULE));
    await page.goto(u.base);
    await page.fill('#badge', 'A100');
    await page.fill('#pin', '1234');
    await page.click('#signin-form button[type=submit]');
    await page.click('#ack-green');
    await page.locator('#screen-main').waitFor({ state: 'visible' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await u?.stop();
  });

  const body = (k: string) => page.evaluate((key) => document.body.dataset[key], k);
  const ackAll = async () => {
    while (await page.isVisible('#takeover')) await page.click('#ack');
  };
  const hitOn = (plate: string, over: Partial<Hit['match']> = {}, late = false) =>
    u.emitHit({ entryPlate: plate, level: 'confirmed', ...over }, Date.now(), { plate, late });

  it('a hit on another tab takes over the screen until acknowledged', async () => {
    await page.click('button[data-tab=search]');
    await page.fill('#s-reason', 'half-typed reason');
    const hit = await hitOn('TKO1234');
    const card = page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`);
    await card.waitFor();
    // It covers the page: what is at the centre of the screen is the takeover, not the search form.
    const atCentre = await page.evaluate(
      ({ x, y }) => {
        const at = document.elementFromPoint(x, y);
        return at !== null && at.closest('#takeover') !== null;
      },
      { x: viewport.width / 2, y: viewport.height / 2 },
    );
    expect(atCentre).toBe(true);
    expect(await card.locator('.kind').textContent()).toBe('CONFIRMED HIT priority 1');
    // Tapping elsewhere does not make it go away; only Acknowledge (or an outcome) does.
    await page.mouse.click(10, viewport.height - 10);
    expect(await page.isVisible('#takeover')).toBe(true);
    await page.click('#ack');
    await page.locator('#takeover').waitFor({ state: 'hidden' });
    // The officer lands on the card, in the list; the half-typed search is kept.
    expect(await page.isVisible(`#hits .hit[data-id="${hit.id}"]`)).toBe(true);
    expect(await page.getAttribute('button[data-tab=live]', 'class')).toContain('active');
    expect(await page.inputValue('#s-reason')).toBe('half-typed reason');
  });

  it('the takeover holds the focus, shuts off what it covers, says the hit aloud and has Silence in it', async () => {
    await page.click('button[data-tab=search]');
    await page.focus('#s-reason');
    const hit = await hitOn('FOC4321', { priority: 1 });
    await page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`).waitFor();
    // The dialog takes the focus, not Acknowledge: an Enter meant for the form acknowledges nothing.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('takeover');
    await page.keyboard.press('Enter');
    expect(await page.isVisible('#takeover')).toBe(true);
    // What it covers can be neither reached by Tab nor read out behind it.
    const inert = () =>
      page.evaluate(() => ['bar', 'screen-main'].map((id) => document.getElementById(id).inert));
    expect(await inert()).toEqual([true, true]);
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const a = document.activeElement;
          if (!a || a === document.body) return 'body';
          return a.closest('#takeover') ? a.id || 'in' : `outside:${a.id}`;
        }),
      );
    }
    expect(reached.filter((r) => r.startsWith('outside'))).toEqual([]);
    expect(reached).toContain('ack');
    expect(reached).toContain('silence');
    expect(await page.textContent('#takeover-say')).toContain(
      'CONFIRMED HIT priority 1. Plate F O C 4 3 2 1.',
    );
    // The alarm can be silenced without acknowledging the hit: the hit stays on the screen.
    expect(await body('sound')).toBe('p1');
    await page.click('#silence');
    expect(await body('sound')).toBeUndefined();
    expect(await page.isVisible('#takeover')).toBe(true);
    expect(await page.isVisible('#silence')).toBe(false);
    await page.click('#ack');
    await page.locator('#takeover').waitFor({ state: 'hidden' });
    expect(await inert()).toEqual([false, false]);
    expect(await page.textContent('#takeover-say')).toBe('');
  });

  it('text in the light colours reads at 4.5:1 at least, by night and by day', async () => {
    u.setLights({
      ...lightsAll('green'),
      server: { light: 'amber', reasons: ['server: broker unreachable'] },
      gps: { light: 'red', reasons: ['gps: no data from the receiver'] },
    });
    await page.locator('#status-lights .slight.red').waitFor({ state: 'attached' });
    await hitOn('CTR1001', { priority: 1 });
    await hitOn('CTR1009', { priority: 2, level: 'possible', entryPlate: 'CTR1008' });
    await expect.poll(() => page.textContent('#takeover-more')).toBe('+1 more new hit(s) after this one');
    const selectors = [
      '#takeover-title',
      '#takeover-more',
      '.hit.level-possible .kind',
      '.hit.level-confirmed .kind',
      '#status-lights .slight.green > summary',
      '#status-lights .slight.amber > summary',
      '#status-lights .slight.red > summary',
    ];
    const ratios = (day: boolean) =>
      page.evaluate(
        ({ day, selectors }) => {
          document.body.classList.toggle('day', day);
          const rgb = (c: string) =>
            c
              .match(/[\d.]+/g)!
              .slice(0, 4)
              .map(Number);
          const lum = (c: string) => {
            const [r, g, b] = rgb(c).map((v) => v / 255);
            const f = (v: number) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
            return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
          };
          const out: Record<string, number> = {};
          for (const sel of selectors) {
            const n = document.querySelector(sel);
            if (!n) continue;
            // the first ancestor (or itself) with a background of its own
            let b: PageNode | null = n;
            while (b && (rgb(getComputedStyle(b).backgroundColor)[3] ?? 1) === 0) b = b.parentElement;
            const [x, y] = [
              lum(getComputedStyle(n).color),
              lum(getComputedStyle(b ?? document.body).backgroundColor),
            ];
            out[sel] = Math.round(((Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)) * 100) / 100;
          }
          return out;
        },
        { day, selectors },
      );
    try {
      for (const day of [false, true]) {
        const r = await ratios(day);
        expect(Object.keys(r).sort(), `day ${day}`).toEqual([...selectors].sort());
        for (const [sel, v] of Object.entries(r))
          expect(v, `${sel} by ${day ? 'day' : 'night'}`).toBeGreaterThanOrEqual(4.5);
      }
    } finally {
      await page.evaluate(() => document.body.classList.toggle('day', false));
      await ackAll();
      u.setLights(lightsAll('green'));
    }
  });

  it('a hit not yet acknowledged takes over again after a reload; an acknowledged one does not', async () => {
    const hit = await hitOn('RLD3030', { priority: 2 });
    await page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`).waitFor();
    await page.reload();
    await page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`).waitFor();
    await page.click('#ack');
    await page.locator('#takeover').waitFor({ state: 'hidden' });
    await page.reload();
    await page.locator(`#hits .hit[data-id="${hit.id}"]`).waitFor();
    expect(await page.isVisible('#takeover')).toBe(false);
  });

  it('after a reload sound is off and says so; the first tap arms it; priority 1 repeats until acknowledged', async () => {
    await page.reload();
    await page.locator('#screen-main').waitFor({ state: 'visible' });
    expect(await body('audio')).toBe('off');
    expect(await page.isVisible('#screen-main .sound-off')).toBe(true);
    expect(await page.textContent('#screen-main .sound-off')).toContain('SOUND IS OFF');
    // A hit before the tap: the takeover says sound is off too.
    await hitOn('SND0001', { priority: 4 });
    await page.locator('#takeover').waitFor();
    expect(await page.isVisible('#takeover .sound-off')).toBe(true);
    // The first tap anywhere (here: Acknowledge) arms sound.
    await page.tap('#ack');
    await expect.poll(() => body('audio')).toBe('on');
    expect(await page.isVisible('#screen-main .sound-off')).toBe(false);

    const rounds = Number((await body('rounds')) ?? 0);
    await hitOn('SND0002', { priority: 1 });
    await page.locator('#takeover').waitFor();
    expect(await body('sound')).toBe('p1');
    // Played once at once, then again and again while nobody acknowledges it.
    await expect
      .poll(() => body('rounds').then(Number), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(rounds + 3);
    await page.click('#ack');
    expect(await body('sound')).toBeUndefined();
    const after = Number(await body('rounds'));
    await page.waitForTimeout(5_000); // longer than one repeat interval
    expect(Number(await body('rounds'))).toBe(after);
  }, 40_000);

  it('ten sightings of one car make one card with count 10; late hits go to history', async () => {
    await hitOn('REP7777');
    await page.locator('#takeover').waitFor();
    await ackAll();
    for (let i = 0; i < 9; i++) await hitOn('REP7777');
    const cards = page.locator('.hit[data-key*="REP7777"]');
    await expect.poll(() => cards.locator('.count').allTextContents()).toEqual(['10']);
    expect(await cards.count()).toBe(1);
    expect(await cards.locator('.seen-words').textContent()).toMatch(/^sightings · first .+ · last .+$/);
    // Repeats update the card; they do not take over the screen again.
    expect(await page.isVisible('#takeover')).toBe(false);

    const late = await hitOn('OLD4242', {}, true);
    const lateCard = page.locator(`#hits-history .hit[data-id="${late.id}"]`);
    await lateCard.waitFor({ state: 'attached' });
    expect(await page.isVisible('#takeover')).toBe(false);
    expect(await page.textContent('#history summary')).toBe('Earlier reads matched after a list update (1)');
    expect(await page.locator(`#hits .hit[data-id="${late.id}"]`).count()).toBe(0);
  });

  it('a priority-1 hit sorts above an informational one; confirmed above possible', async () => {
    const p1 = await hitOn('SRT0001', { priority: 1 });
    const p3 = await hitOn('SRT0003', { priority: 3 });
    const possible = await hitOn('SRT0009', { priority: 1, level: 'possible', entryPlate: 'SRT0008' });
    const info = await hitOn('SRT0005', { priority: 5, informational: true, list: 'SPECIAL' });
    await page.locator(`.hit[data-id="${info.id}"]`).waitFor({ state: 'attached' });
    // The takeover shows the most urgent of the four first.
    expect(await page.getAttribute('#takeover-slot .hit', 'data-id')).toBe(p1.id);
    expect(await page.textContent('#takeover-more')).toBe('+3 more new hit(s) after this one');
    await ackAll();
    const order = await page
      .locator('#hits > .hit')
      .evaluateAll((n) => n.map((e) => (e as unknown as { dataset: { id: string } }).dataset.id));
    const mine = order.filter((id) => [p1.id, p3.id, possible.id, info.id].includes(id!));
    expect(mine).toEqual([p1.id, p3.id, possible.id, info.id]);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `list-${viewport.width}x${viewport.height}.png`) });
    // Levels in colour, icon and words.
    const look = async (id: string) =>
      page.locator(`.hit[data-id="${id}"]`).evaluate((e) => ({
        icon: e.querySelector('.level-icon')!.textContent,
        kind: e.querySelector('.kind')!.textContent,
        border: getComputedStyle(e).borderLeftColor,
      }));
    const [c, p, i] = [await look(p1.id), await look(possible.id), await look(info.id)];
    expect([c.icon, p.icon, i.icon]).toEqual(['⚠', '≈', 'ℹ']);
    expect(p.kind).toBe('POSSIBLE ≈ HIT priority 1');
    // The list's category in an icon and words (colour by category).
    expect(await page.locator(`.hit[data-id="${p1.id}"] .category`).textContent()).toBe(
      '◆ Stolen vehicle: stolen',
    );
    expect(await page.locator(`.hit[data-id="${info.id}"] .category`).textContent()).toBe(
      'ℹ Special list: informational only: stolen',
    );
    expect(new Set([c.border, p.border, i.border]).size).toBe(3);
    // For a possible hit, the read and the entry side by side with the differing character marked.
    const cmp = page.locator(`.hit[data-id="${possible.id}"] .compare .cmp-plate`);
    expect(await cmp.allTextContents()).toEqual(['SRT0009', 'SRT0008']);
    expect(await cmp.locator('mark.diff').allTextContents()).toEqual(['9', '8']);
  });

  it('the card and its one-tap outcomes fit the screen; a verified hit stands out in red', async () => {
    const hit = await hitOn('FIT5150', {
      priority: 1,
      level: 'possible',
      entryPlate: 'FIT5158',
      probability: 0.41,
    });
    const card = page.locator(`#takeover-slot .hit[data-id="${hit.id}"]`);
    await card.waitFor();
    await page.waitForTimeout(200); // images laid out
    if (SHOTS)
      await page.screenshot({ path: join(SHOTS, `takeover-${viewport.width}x${viewport.height}.png`) });
    const inView = async () => {
      const boxes = await card.locator('.actions button, .plate, .kind').evaluateAll((n) =>
        n.map((e) => {
          const r = e.getBoundingClientRect();
          return { bottom: r.bottom, right: r.right, height: r.height, text: e.textContent };
        }),
      );
      expect(boxes.length).toBeGreaterThanOrEqual(8);
      for (const b of boxes) {
        expect(b.bottom, b.text!).toBeLessThanOrEqual(viewport.height);
        expect(b.right, b.text!).toBeLessThanOrEqual(viewport.width);
      }
      return boxes;
    };
    const boxes = await inView();
    for (const b of boxes.slice(2)) expect(b.height, b.text!).toBeGreaterThanOrEqual(64);
    // Nothing in the takeover is below the edge: it has nothing to scroll.
    expect(
      await page.locator('#takeover').evaluate((e) => [e.scrollTop, e.scrollHeight - e.clientHeight]),
    ).toEqual([0, 0]);
    expect(await card.locator('.actions button').allTextContents()).toEqual([
      'Correct read → ask dispatch',
      'Dispatch verified',
      'Misread',
      'Wrong state',
      'Wrong vehicle',
      'Dismiss',
    ]);
    // The plate is the biggest text on the card; the banner is present but slim.
    const sizes = await card.evaluate((e) =>
      [...e.querySelectorAll('*')]
        .filter((n) => n.childElementCount === 0 && n.textContent!.trim())
        .map((n) => ({ cls: n.className, size: Number.parseFloat(getComputedStyle(n).fontSize) })),
    );
    const plate = Number.parseFloat(
      await card.locator('.hit-head .plate').evaluate((e) => getComputedStyle(e).fontSize),
    );
    expect(Math.max(...sizes.filter((s) => s.cls !== 'diff').map((s) => s.size))).toBeLessThanOrEqual(plate);
    const banner = await card.locator('.banner').boundingBox();
    expect(banner!.height).toBeLessThan(60);

    // One tap: "Correct read" asks dispatch and acknowledges; then "Dispatch verified".
    await card.locator('.actions[data-ready] button[data-outcome=correct]').click();
    await page.locator('#takeover').waitFor({ state: 'hidden' });
    expect(u.web.db!.hitStates([hit.id]).get(hit.id)).toMatchObject({ to: 'requested' });
    const listed = page.locator(`#hits .hit[data-id="${hit.id}"]`);
    // In the list too the card with its outcomes is on screen, without scrolling further.
    const listBox = await listed.locator('.actions').boundingBox();
    expect(listBox!.y + listBox!.height).toBeLessThanOrEqual(viewport.height);
    // A double tap on "Correct read" lands its second tap on the button drawn under the finger:
    // it records nothing (the buttons take no tap in their first moment, and that one asks twice).
    await listed.locator('button[data-outcome=verify]').click();
    await page.waitForTimeout(300);
    expect(u.web.db!.hitStates([hit.id]).get(hit.id)).toMatchObject({ to: 'requested' });
    await page.waitForTimeout(5200); // an armed button goes back after 5 s
    // "Dispatch verified" asks for a second tap: one tap arms it and records nothing
    const verify = listed.locator('.actions[data-ready] button[data-outcome=verify]');
    await verify.click();
    expect(await verify.textContent()).toBe('Tap again: dispatch verified');
    await page.waitForTimeout(300);
    expect(await listed.getAttribute('data-state')).toBe('requested');
    expect(u.web.db!.hitStates([hit.id]).get(hit.id)).toMatchObject({ to: 'requested' });
    // A new sighting of the same car redraws its card: the note being typed and the armed button
    // stay, and the next tap is taken (the card's buttons are not new)
    const key = (await listed.getAttribute('data-key'))!;
    const byKey = page.locator(`#hits .hit[data-key="${key}"]`);
    await byKey.locator('.note').fill('driver matches BOLO');
    await hitOn('FIT5150', { priority: 1, level: 'possible', entryPlate: 'FIT5158', probability: 0.41 });
    await expect.poll(() => byKey.locator('.seen .count').textContent()).toBe('2');
    expect(await byKey.locator('.note').inputValue()).toBe('driver matches BOLO');
    const armed = byKey.locator('button[data-outcome=verify]');
    expect(await armed.textContent()).toBe('Tap again: dispatch verified');
    await armed.click();
    await expect.poll(() => byKey.getAttribute('data-state')).toBe('verified');
    expect(await byKey.locator('.handling').textContent()).toBe('✔ VERIFIED BY DISPATCH (A100)');
    expect(await byKey.textContent()).toContain('driver matches BOLO');
    const style = await byKey.evaluate((e) => ({
      opacity: getComputedStyle(e).opacity,
      border: getComputedStyle(e).borderLeftColor,
    }));
    expect(style.opacity).toBe('1');
    // red (the car is wanted), not the green that means "all clear" everywhere else
    expect(style.border).toBe('rgb(229, 56, 59)');

    // "Wrong state" on another hit: one tap, a reject with that reason, shown as its label.
    const other = await hitOn('WST2020', { priority: 2 });
    await page
      .locator(`#takeover-slot .hit[data-id="${other.id}"] [data-ready] button[data-outcome=wrong-state]`)
      .click();
    await expect
      .poll(() => page.locator(`.hit[data-id="${other.id}"] .handling`).textContent())
      .toBe('REJECTED: Wrong state (A100)');
    expect(u.web.db!.hitStates([other.id]).get(other.id)).toMatchObject({
      to: 'rejected',
      reason: 'wrong-state',
    });
  });

  it('day and night: by the hour, and the officer can choose', async () => {
    const ctx = await browser.newContext({ viewport });
    try {
      const p = await ctx.newPage();
      const bg = () => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await p.clock.setFixedTime(new Date(2026, 5, 1, 13, 0));
      await p.goto(u.base);
      expect(await p.textContent('#theme')).toBe('Auto: day');
      const day = await bg();
      await p.clock.setFixedTime(new Date(2026, 5, 1, 23, 0));
      await p.reload();
      expect(await p.textContent('#theme')).toBe('Auto: night');
      const night = await bg();
      expect(day).not.toBe(night);
      await p.click('#theme');
      expect([await p.textContent('#theme'), await bg()]).toEqual(['Day', day]);
      await p.reload(); // the choice is kept
      expect([await p.textContent('#theme'), await bg()]).toEqual(['Day', day]);
      await p.click('#theme');
      expect([await p.textContent('#theme'), await bg()]).toEqual(['Night', night]);
      await p.click('#theme');
      expect(await p.textContent('#theme')).toBe('Auto: night');
    } finally {
      await ctx.close();
    }
  });

  it('Sign out sits at the far end of the bar and needs a second tap', async () => {
    if (SHOTS) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.click('#theme'); // day, for the screenshot
      await page.screenshot({ path: join(SHOTS, `main-day-${viewport.width}x${viewport.height}.png`) });
      await page.click('#theme');
      await page.click('#theme');
    }
    // a search of this officer's, to see it gone after sign-out
    await searchStoredRead(u, page, 'sign out check');
    // Taps meant for a hit's Acknowledge (tapped three times) that land on Sign out once the
    // takeover closes are not taken: the officer stays signed in.
    await hitOn('ACK7777');
    await page.locator('#takeover').waitFor({ state: 'visible' });
    await page.evaluate(() => {
      document.getElementById('ack').click();
      document.getElementById('signout').click();
      document.getElementById('signout').click();
    });
    await page.locator('#takeover').waitFor({ state: 'hidden' });
    expect(await page.textContent('#signout')).toBe('Sign out');
    expect(u.web.currentOperator()).toBe('A100');
    await page.waitForTimeout(800);
    const signout = await page.locator('#signout').boundingBox();
    const who = await page.locator('#who').boundingBox();
    expect(signout!.x).toBeGreaterThan(who!.x); // at the far end of the bar
    await page.click('#signout');
    expect(await page.textContent('#signout')).toBe('Tap again to sign out');
    expect(await page.isVisible('#screen-main')).toBe(true);
    expect(u.web.currentOperator()).toBe('A100');
    await page.click('#signout');
    await page.locator('#screen-signin').waitFor({ state: 'visible' });
    // the next officer's sign-in starts blank, and nothing of this officer's search is left
    expect(await page.inputValue('#badge')).toBe('');
    expect(await page.locator('#search-results tbody tr').count()).toBe(0);
    expect(await page.inputValue('#s-reason')).toBe('');
    expect(await page.inputValue('#s-case')).toBe('');
    expect(errors).toEqual([]);
  });
});
