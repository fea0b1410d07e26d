/**
 * A test unit for the web stage: the real store (encrypted) and hot-list stages on a bus, lights
 * that tests set, and the web stage wired to them the way the composition root does.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { hotlistSection } from '../../src/config/sections/hotlist.ts';
import { webSection } from '../../src/config/sections/web.ts';
import { Bus } from '../../src/core/bus.ts';
import { fieldSealer } from '../../src/domain/seal.ts';
import type { Hit, Light } from '../../src/domain/types.ts';
import { HotlistStage } from '../../src/hotlist/index.ts';
import { StoreStage } from '../../src/store/index.ts';
import { type LightPart, type LightsView, type UploadState, WebStage } from '../../src/web/index.ts';
import { parseRoster } from '../../src/web/roster.ts';
import { captureLog, makeHit, makeRead, storeConfig, tempDirs } from './sync-fixtures.ts';
import { aesSealer } from '../../src/domain/seal.ts';

export const ROSTER_CSV = `badge,name,trained,pin,expires
A100,Alex Rivera,true,1234,2099-01-01
B200,Bo Untrained,false,1234,
C300,Cy Expired,yes,1234,2020-01-01
D400,"Doe, Dana",true,5678,
`;

export function lightsAll(light: Light, reason = 'ok'): LightsView {
  const l = { light, reasons: [light === 'green' ? 'ok' : reason] };
  return { cameras: { ...l }, server: { ...l }, gps: { ...l }, system: { ...l } };
}

/** A small real JPEG of one colour. */
export function jpeg(w: number, h: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({
    create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .jpeg()
    .toBuffer();
}

export async function startWebUnit(
  opts: {
    mode?: 'car' | 'trailer';
    web?: Record<string, unknown>;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    /** Serve over HTTPS with this certificate and key (web.tls). */
    tls?: { cert: Buffer; key: Buffer };
  } = {},
) {
  const dirs = tempDirs('alpr-web-');
  const cap = captureLog();
  const bus = new Bus((event, err) => cap.log.error({ event, err }, 'bus handler failed'));
  const store = new StoreStage({
    bus,
    log: cap.log,
    config: storeConfig(),
    dataDir: dirs.data,
    credentialsDir: dirs.creds,
  });
  const hotlist = new HotlistStage({
    sealer: aesSealer(Buffer.alloc(32, 7), 'hotlist'),
    bus,
    log: cap.log,
    config: hotlistSection.parse({}),
    dbPath: join(dirs.data, 'hotlist.sqlite'),
    pollMs: 60_000,
  });
  let lights = lightsAll('green');
  const lightListeners = new Set<(l: LightsView) => void>();
  let parts: Record<string, LightPart[]> = {};
  let upload: UploadState | null = null;
  const web = new WebStage({
    bus,
    log: cap.log,
    config: webSection.parse({ port: 0, ...opts.web }),
    dataDir: dirs.data,
    mode: opts.mode ?? 'car',
    // As the root does: the store's key file, the 'web' context.
    cipher: fieldSealer('aes-256-gcm', () => readFileSync(join(dirs.creds, 'store.key')), 'web'),
    lights: () => lights,
    onLights: (fn) => {
      lightListeners.add(fn);
      return () => lightListeners.delete(fn);
    },
    search: store.search(),
    images: store.images(),
    hitHistory: store.hitHistory(),
    addHotPlate: (i) => hotlist.addOfficerPlate(i),
    officerPlates: () => hotlist.officerPlates(),
    cancelHotPlate: (plate, created) => hotlist.cancelOfficerPlate(plate, created) !== null,
    lightParts: () => parts,
    hotlists: () =>
      hotlist.lists().map((l) => ({
        name: l.name,
        version: l.version,
        issuedAt: l.issuedAt,
        entries: l.entries,
        maxAgeMs: l.name === 'LOCAL' ? null : 12 * 3600_000,
      })),
    upload: () => upload,
    records: store.records(),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  // The root's order: store, web, hot lists (the web stage hears the hot list's first report).
  await store.start();
  await web.start();
  await hotlist.start();
  web.db!.replaceRoster(await parseRoster(ROSTER_CSV, 'csv'), Date.now());
  const base = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${web.port}`;
  let i = 0;
  return {
    dirs,
    bus,
    store,
    hotlist,
    web,
    base,
    cap,
    /** What the page queued for the server, by kind (read back from the store's record queue). */
    queued(kind: string): Record<string, unknown>[] {
      return store
        .records()
        .peek(1000)
        .filter((r) => r.kind === kind)
        .map((r) => r.body as Record<string, unknown>);
    },
    /** Each light's component reports, as the root groups the health stage's reports. */
    setLightParts(p: Record<string, LightPart[]>) {
      parts = p;
    },
    /** The upload queue; null as on a unit without a server link. */
    setUpload(state: UploadState | null) {
      upload = state;
    },
    setLights(l: LightsView) {
      lights = l;
      for (const fn of lightListeners) fn(l);
    },
    /**
     * A read (stored, with real images) and a hit on it, emitted on the bus as the stages do;
     * `plate` makes it a sighting of a given car (the entry is that plate unless `over` says).
     */
    async emitHit(
      over: Partial<Hit['match']> = {},
      at = Date.now(),
      extra: Partial<Pick<Hit, 'readState' | 'late'>> & { plate?: string } = {},
    ): Promise<Hit> {
      const { plate, ...rest } = extra;
      const read = makeRead(9000 + i++, at);
      if (plate) read.plate = plate;
      bus.emit('read', read);
      store.putImage(read.id, 'plate', await jpeg(160, 50, [230, 230, 230]));
      store.putImage(read.id, 'overview', await jpeg(320, 180, [40, 60, 90]));
      const hit = { ...makeHit(read), ...rest };
      hit.match = { ...hit.match, caseNumber: 'C-2026-0042', ...over };
      hit.direction = 'northbound';
      bus.emit('hit', hit);
      return hit;
    },
    async stop() {
      await web.stop();
      await hotlist.stop();
      await store.stop();
      rmSync(dirs.root, { recursive: true, force: true });
    },
  };
}

export type WebUnit = Awaited<ReturnType<typeof startWebUnit>>;

/** fetch with a cookie jar of one cookie (the session). */
export function client(base: string) {
  let cookie = '';
  return {
    get cookie() {
      return cookie;
    },
    async call(path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(base + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const set = res.headers.get('set-cookie');
      if (set) cookie = set.split(';')[0]!;
      const type = res.headers.get('content-type') ?? '';
      const data = type.includes('json') ? await res.json() : await res.arrayBuffer();
      // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field and asserted
      return { status: res.status, data: data as Record<string, any>, headers: res.headers };
    },
  };
}

/**
 * A read stored on the unit (as the reads stage stores one), then found from the page's Search
 * tab with a case number and `reason`: the row the page shows for it.
 */
export async function searchStoredRead(u: WebUnit, page: Page, reason: string, n = 4343) {
  const read = makeRead(n);
  u.bus.emit('read', read);
  await page.click('button[data-tab=search]');
  await page.fill('#s-plate', read.plate);
  await page.fill('#s-case', 'C-2026-0042');
  await page.fill('#s-reason', reason);
  await page.click('#search-form button[type=submit]');
  const row = page.locator(`#search-results tr[data-id="${read.id}"]`);
  await row.waitFor();
  return { read, row };
}
