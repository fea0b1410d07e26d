/** Debian's headless Chromium for the page tests (driven by playwright-core), and the car's screen sizes. */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`page tests: skipped, ${CHROMIUM} is absent (apt-get install -y chromium)`);

/** The in-car screens the page is checked at: a 10" tablet, a 7" head unit and a tablet mounted upright. */
export const VIEWPORTS = [
  { width: 1024, height: 768 },
  { width: 800, height: 480 },
  { width: 768, height: 1024 },
];

/** Starts Chromium headless without sandbox, GPU or any background traffic of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Chromium with one touch-screen page of `viewport` (and `initScript` run before the page's own),
 * the page's script errors collected in `errors`.
 */
export async function openTouchPage(
  viewport: { width: number; height: number },
  initScript?: string,
): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  const browser = await launchChromium();
  const ctx = await browser.newContext({ viewport, hasTouch: true });
  if (initScript) await ctx.addInitScript({ content: initScript });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { browser, page, errors };
}
