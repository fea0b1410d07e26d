import { request } from 'node:http';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFY_BANNER } from '../../src/domain/policy.ts';
import { type AuditRow, verifyAuditChain } from '../../src/web/audit.ts';
import { client, lightsAll, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit;
beforeAll(async () => {
  u = await startWebUnit({ web: { pinMaxFailures: 3, pinLockoutS: 60 } });
});
afterAll(async () => {
  await u?.stop();
});

/** Reads Server-Sent Events from the page's stream until `until` says stop. */
function sse(base: string, cookie: string) {
  const events: { event: string; data: unknown }[] = [];
  let buf = '';
  const req = request(`${base}/api/events`, { headers: { cookie } });
  const opened = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
          i = buf.indexOf('\n\n');
        }
      });
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.end();
  return { events, opened, close: () => req.destroy() };
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('web API over HTTP', () => {
  it('serves the page and the lights without a session, everything else needs one', async () => {
    const c = client(u.base);
    const page = await c.call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(Buffer.from(page.data as ArrayBuffer).toString()).toContain('<title>ALPR unit</title>');
    expect((await c.call('/app.js')).status).toBe(200);
    expect((await c.call('/../index.ts')).status).toBe(404);
    expect((await c.call('/%2e%2e/index.ts')).status).toBe(404);
    expect((await c.call('/%2e%2e%2fweb%2fpublic%2fapp.js')).status).toBe(404);
    expect((await c.call('/%E0%A4%A')).status).toBe(404);
    const l = await c.call('/api/lights');
    expect(l.status).toBe(200);
    expect(l.data.allGreen).toBe(true);
    for (const p of ['/api/session', '/api/hits', '/api/reads', '/api/audit', '/api/events'])
      expect((await c.call(p)).status).toBe(401);
    expect((await c.call('/api/search', { plate: 'ABC123' })).status).toBe(401);
    // A page elsewhere that points its name at the unit (DNS rebinding) is refused.
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${u.base}/api/lights`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('evil.example')).toBe(421);
    expect(await status(`localhost:${u.web.port}`)).toBe(200);
    // no other site (another port of 127.0.0.1 is the same site to a browser) may embed an answer
    expect((await fetch(`${u.base}/api/lights`)).headers.get('cross-origin-resource-policy')).toBe(
      'same-origin',
    );
  });

  it('answers unknown badges like wrong PINs, names nobody, bars untrained and expired, then locks', async () => {
    const c = client(u.base);
    const cases: [string, string, number, RegExp][] = [
      ['Z999', '1234', 401, /^Wrong badge or PIN \(2 tries left\)\.$/],
      ['B200', '0000', 401, /^Wrong badge or PIN \(2 tries left\)\.$/],
      ['B200', '1234', 403, /not marked as trained, or expired/],
      ['C300', '1234', 403, /not marked as trained, or expired/],
      ['D400', '12', 400, /4 to 12 digits/],
      ['D 400', '1234', 400, /badge number/],
      ['D400', '0000', 401, /^Wrong badge or PIN \(2 tries left\)\.$/],
      ['D400', '0001', 401, /^Wrong badge or PIN \(1 try left\)\.$/],
      ['D400', '0002', 401, /^Wrong badge or PIN\. Sign-in for this badge is locked for 60 s\.$/],
      ['D400', '5678', 429, /Too many wrong tries for this badge/],
    ];
    const errors: string[] = [];
    for (const [badge, pin, status, msg] of cases) {
      const r = await c.call('/api/signin', { badge, pin });
      expect([badge, pin, r.status]).toEqual([badge, pin, status]);
      expect(r.data.error).toMatch(msg);
      errors.push(r.data.error);
    }
    // No answer names an officer or repeats a badge.
    for (const e of errors) expect(e).not.toMatch(/Bo|Cy|Dana|Doe|B200|C300|D400|2020/);
    expect(c.cookie).toBe('');
    expect(u.web.currentOperator()).toBeNull();
    // Form posts from another site cannot even reach the handler: JSON only.
    const form = await fetch(`${u.base}/api/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'badge=A100&pin=1234',
    });
    expect(form.status).toBe(415);
  });

  it('200 parallel guesses with a limit of 3 get at most 3 PIN checks; the right one among them fails', async () => {
    const t = await startWebUnit({ web: { pinMaxFailures: 3, pinLockoutS: 60 } });
    try {
      const c = client(t.base);
      const guesses = [...Array.from({ length: 199 }, (_, i) => String(1000 + i)), '5678'];
      const answers = await Promise.all(guesses.map((pin) => c.call('/api/signin', { badge: 'D400', pin })));
      // 401 (wrong) and 200 (right) are the answers of a PIN check; 429 is refused unchecked.
      const checked = answers.filter((a) => a.status === 401 || a.status === 200);
      expect(checked.length).toBeGreaterThan(0);
      expect(checked.length).toBeLessThanOrEqual(3);
      expect(answers.filter((a) => a.status === 200)).toEqual([]);
      expect(answers.every((a) => [401, 429].includes(a.status))).toBe(true);
      expect(t.web.currentOperator()).toBeNull();
      // And in waves, as fast as answers come back: the limit holds until the lockout.
      for (let wave = 0; wave < 5; wave++)
        for (const a of await Promise.all(
          ['1', '2', '3', '4'].map((d) => c.call('/api/signin', { badge: 'D400', pin: `900${d}` })),
        ))
          if (a.status !== 429) checked.push(a);
      expect(checked.length).toBeLessThanOrEqual(3);
    } finally {
      await t.stop();
    }
  });

  it('signs in, does the shift check, receives a hit live, handles it, searches with audit', async () => {
    const c = client(u.base);
    const r = await c.call('/api/signin', { badge: 'A100', pin: '1234' });
    expect(r.status).toBe(200);
    const set = r.headers.get('set-cookie')!;
    expect(set).toMatch(
      /^alpr_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=(43199|43200)$/,
    );
    expect(u.web.currentOperator()).toBe('A100');
    const s = await c.call('/api/session');
    expect(s.data).toMatchObject({
      operator: { badge: 'A100', name: 'Alex Rivera' },
      shiftCheck: null,
      banner: VERIFY_BANNER,
    });

    // Shift check: "all green" is refused while a light is not green; what is not green is recorded.
    u.setLights({ ...lightsAll('green'), gps: { light: 'red', reasons: ['gps: no fix'] } });
    expect((await c.call('/api/shift-check', { allGreen: true })).status).toBe(409);
    expect((await c.call('/api/shift-check', { allGreen: false })).status).toBe(400);
    const bad = await c.call('/api/shift-check', { allGreen: false, note: 'GPS red, reported to fleet' });
    expect(bad.status).toBe(200);
    u.setLights(lightsAll('green'));
    const ok = await c.call('/api/shift-check', { allGreen: true });
    expect(ok.data.shiftCheck).toMatchObject({ badge: 'A100', allGreen: true });
    expect((await c.call('/api/session')).data.shiftCheck.allGreen).toBe(true);
    expect(u.queued('shift-check').map((m) => m.allGreen)).toEqual([false, true]);

    // Live stream: lights, reads and the hit arrive pushed.
    const stream = sse(u.base, c.cookie);
    expect(await stream.opened).toBe(200);
    await until(() => stream.events.some((e) => e.event === 'lights'));
    const t0 = Date.now();
    const hit = await u.emitHit({ priority: 1 });
    await until(() => stream.events.some((e) => e.event === 'hit'));
    const pushMs = Date.now() - t0;
    const pushed = stream.events.find((e) => e.event === 'hit')!.data as Record<string, unknown>;
    expect(pushed).toMatchObject({
      id: hit.id,
      plate: hit.plate,
      banner: VERIFY_BANNER,
      priority: 1,
      direction: 'northbound',
    });
    expect(pushed.handling).toMatchObject({ state: 'new' });
    expect(
      stream.events.some((e) => e.event === 'read' && (e.data as { id: string }).id === hit.readId),
    ).toBe(true);
    const img = await c.call(`/api/images/${hit.readId}/plate`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(img.data as ArrayBuffer).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // Not a hit on the page and not found by a search: refused (stored reads open from an audited search).
    expect((await c.call('/api/images/nope/plate')).status).toBe(403);

    // Hit handling through the state machine.
    const act = (body: unknown) => c.call(`/api/hits/${hit.id}/action`, body);
    expect((await act({ type: 'reject' })).status).toBe(400);
    expect((await act({ type: 'request' })).data.hit.handling.state).toBe('requested');
    expect((await act({ type: 'request' })).status).toBe(409);
    const rej = await act({
      type: 'reject',
      reason: 'vehicle-mismatch',
      note: 'white sedan, entry says red truck',
    });
    expect(rej.data.hit.handling).toMatchObject({
      state: 'rejected',
      by: 'A100',
      reason: 'vehicle-mismatch',
    });
    await until(() => stream.events.some((e) => e.event === 'hitState'));
    expect((await act({ type: 'verify' })).data.error).toBe('a rejected hit cannot be verified');
    expect((await c.call('/api/hits')).data.hits[0].handling.state).toBe('rejected');
    expect(u.queued('hit-state').map((m) => m.state)).toEqual(['requested', 'rejected']);

    // Search needs a reason and a case number; every search is in the audit trail.
    const miss = await c.call('/api/search', { plate: hit.plate });
    expect(miss.status).toBe(400);
    expect(miss.data.details).toEqual([
      'reason: say why you search (at least 4 characters)',
      'case number: required, 3 to 40 letters, digits, - / _ with at least one digit (C-2026-0042)',
    ]);
    const found = await c.call('/api/search', {
      plate: hit.plate,
      reason: 'follow-up on hit',
      caseNumber: 'C-2026-0042',
    });
    expect(found.status).toBe(200);
    expect(found.data.reads.map((x: { id: string }) => x.id)).toEqual([hit.readId]);
    const part = await c.call('/api/search', {
      plate: hit.plate.slice(2, 6),
      partial: true,
      reason: 'partial plate from witness',
      caseNumber: 'C-7',
    });
    expect(part.data.reads.length).toBeGreaterThanOrEqual(1);
    expect((await c.call('/api/here')).status).toBe(404);
    u.bus.emit('fix', {
      time: null,
      lat: 47.6101,
      lon: -122.3331,
      alt: null,
      speed: 0,
      course: null,
      quality: 'gps',
      sats: 8,
      hdop: 0.9,
      receivedAt: Date.now(),
    });
    const here = (await c.call('/api/here')).data;
    expect([here.lat, here.lon]).toEqual([47.6101, -122.3331]);
    const near = (radiusM: number) =>
      c.call('/api/search', {
        near: { lat: here.lat, lon: here.lon, radiusM },
        reason: 'area canvass',
        caseNumber: 'C-8',
      });
    expect((await near(100)).data.reads.map((x: { id: string }) => x.id)).toEqual([hit.readId]);
    expect((await near(20)).data.reads).toEqual([]);
    expect((await near(5)).data.details).toEqual([
      'place: latitude, longitude and a radius of 10 m to 50 km',
    ]);
    const audit = await c.call('/api/audit');
    expect(audit.data.chain).toMatchObject({ ok: true });
    const searches = audit.data.rows.filter(
      (a: { kind: string; caseNumber: string }) => a.kind === 'search' && a.caseNumber !== 'C-8',
    );
    expect(
      audit.data.rows
        .filter((a: { caseNumber: string }) => a.caseNumber === 'C-8')
        .map((a: { resultCount: number }) => a.resultCount),
    ).toEqual([0, 1]);
    expect(searches[0]).toMatchObject({
      badge: 'A100',
      caseNumber: 'C-7',
      reason: 'partial plate from witness',
      resultCount: part.data.reads.length,
    });
    expect(searches[1]).toMatchObject({
      caseNumber: 'C-2026-0042',
      resultCount: 1,
      detail: { plate: hit.plate, partial: false },
    });

    // Officer hot plate through the hot-list stage's own validation.
    const badHp = await c.call('/api/hotplates', { plate: 'X', reason: '' });
    expect(badHp.status).toBe(400);
    expect(badHp.data.details).toContain(
      'case number or XREF: one is required (the XREF when there is no case)',
    );
    const exp = new Date(Date.now() + 3600_000).toISOString();
    // an escape sequence is no officer's words (it could redraw the console's hit display)
    const escaped = await c.call('/api/hotplates', {
      plate: '7abc123',
      caseNumber: 'C-9',
      reason: 'stolen\u001b[2K\u001b[1A faked line',
      expires: exp,
    });
    expect(escaped.status).toBe(400);
    expect(escaped.data.error).toContain('control characters are not allowed');
    const hp = await c.call('/api/hotplates', {
      plate: '7abc123',
      caseNumber: 'C-9',
      reason: 'armed robbery suspect',
      expires: exp,
      inStateSystems: true,
      // a name the request gives is not taken: the entry names the officer signed in
      officerName: 'Doe, Dana',
    });
    expect(hp.status).toBe(200);
    expect(u.hotlist.officerPlates().map((e) => [e.plate, e.officerName])).toEqual([
      ['7ABC123', 'Alex Rivera (A100)'],
    ]);
    const late = await c.call('/api/hotplates', {
      plate: '7abc124',
      caseNumber: 'C-9',
      reason: 'x',
      expires: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      inStateSystems: true,
    });
    expect(late.data.details).toEqual([
      'expires: at most 24 hours (the plate is also in state/national systems) from now',
    ]);

    // The whole trail verifies; altering a row in SQLite breaks it at that row.
    expect(u.web.db!.verifyAudit()).toMatchObject({ ok: true });
    const seq = searches[1].seq as number;
    const raw = new Database(join(u.dirs.data, 'web.sqlite'));
    expect(() => raw.prepare('UPDATE audit SET result_count = 0 WHERE seq = ?').run(seq)).toThrow(
      /append-only/,
    );
    raw.exec('DROP TRIGGER audit_no_update');
    raw.prepare('UPDATE audit SET result_count = 0 WHERE seq = ?').run(seq);
    raw.close();
    expect(u.web.db!.verifyAudit()).toMatchObject({ ok: false, firstBad: seq });
    expect((await c.call('/api/audit')).data.chain).toMatchObject({ ok: false, firstBad: seq });
    // The copies queued for the server were taken before the change: they still verify there.
    const sent = u.queued('audit') as unknown as AuditRow[];
    expect(sent.length).toBe(u.web.db!.recentAudit(1000).length);
    expect(verifyAuditChain(sent)).toMatchObject({ ok: true, rows: sent.length });

    // Sign out ends the session and its stream.
    expect((await c.call('/api/signout', {})).status).toBe(200);
    expect(u.web.currentOperator()).toBeNull();
    expect((await c.call('/api/session')).status).toBe(401);
    u.web.broadcast('ping', {});
    stream.close();
    process.stdout.write(`web: hit pushed to the page's stream in ${pushMs} ms (incl. 2 JPEG encodes)\n`);
  });

  it('refuses a sign-out (or any POST) forged by a page on another local port', async () => {
    const t = await startWebUnit();
    try {
      const c = client(t.base);
      expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
      const port = t.web.port!;
      // The cookie is SameSite=Strict, but every port of localhost is the same site: the browser
      // sends it along from http://localhost:9999. What such a page can send:
      const forged = async (headers: Record<string, string>, body = '{}') =>
        (
          await fetch(`http://localhost:${port}/api/signout`, {
            method: 'POST',
            headers: { cookie: c.cookie, ...headers },
            body,
          })
        ).status;
      expect(await forged({ origin: 'http://localhost:9999', 'content-type': 'text/plain' })).toBe(403);
      expect(await forged({ 'content-type': 'application/x-www-form-urlencoded' }, 'x=1')).toBe(415);
      expect(await forged({ origin: 'http://localhost:9999', 'content-type': 'application/json' })).toBe(403);
      expect(await forged({ origin: 'null', 'content-type': 'application/json' })).toBe(403);
      expect(await forged({ 'sec-fetch-site': 'same-site', 'content-type': 'application/json' })).toBe(403);
      expect(t.web.currentOperator()).toBe('A100');
      // Other state-changing requests are refused the same way.
      const check = await c.call('/api/shift-check', { allGreen: true }, { origin: 'http://127.0.0.1:1' });
      expect(check.status).toBe(403);
      // The page itself (same origin, JSON) signs out.
      const own = await c.call(
        '/api/signout',
        {},
        { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' },
      );
      expect(own.status).toBe(200);
      expect(t.web.currentOperator()).toBeNull();
    } finally {
      await t.stop();
    }
  });

  it("another local page's GET (an image tag) is refused before it can count as page contact", async () => {
    let now = Date.now();
    const t = await startWebUnit({ now: () => now, web: { sessionIdleMinutes: 10 } });
    try {
      const c = client(t.base);
      expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
      // every 5 minutes for 20 minutes, a page on another port loads the session with the cookie
      for (let i = 0; i < 4; i++) {
        now += 5 * 60_000;
        const r = await c.call('/api/session', undefined, { 'sec-fetch-site': 'same-site' });
        expect(r.status).toBe(403);
      }
      // so the unattended session idled out; the page's own requests and typed URLs still work
      expect((await c.call('/api/session', undefined, { 'sec-fetch-site': 'same-origin' })).status).toBe(401);
      expect((await c.call('/api/lights', undefined, { 'sec-fetch-site': 'none' })).status).toBe(200);
      expect((await c.call('/api/lights', undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    } finally {
      await t.stop();
    }
  });

  it('a JSON field that is not text is a 400 naming it, not a 500', async () => {
    const c = client(u.base);
    const bad = await c.call('/api/signin', { badge: { toString: 1 }, pin: '1234' });
    expect(bad.status).toBe(400);
    expect(bad.data.error).toBe('badge: must be text');
    expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    for (const body of [
      { plate: { toString: 1 }, reason: 'stolen car report', caseNumber: 'C-2026-7' },
      { plate: 'ABC123', reason: ['x'], caseNumber: 'C-2026-7' },
      { plate: 'ABC123', reason: 'stolen car report', caseNumber: 'C-2026-7', from: { valueOf: 1 } },
    ]) {
      const r = await c.call('/api/search', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.data.error).toMatch(/must be text/);
    }
    const cancel = await c.call('/api/hotplates/cancel', { plate: 'ABC123', created: { toString: 1 } });
    expect(cancel.status).toBe(400);
    expect(cancel.data.error).toMatch(/must be text/);
    expect(u.cap.text()).not.toContain('web request failed');
  });

  it('slows a walk through made-up badges without ever keeping the real officer out', async () => {
    const held: number[] = [];
    const t = await startWebUnit({
      web: { pinMaxFailures: 2, pinLockoutS: 30 },
      sleep: async (ms) => {
        held.push(ms);
      },
    });
    try {
      const c = client(t.base);
      for (let i = 0; i < 40; i++)
        for (const pin of ['1111', '2222'])
          expect((await c.call('/api/signin', { badge: `X${i}`, pin })).status).toBe(401);
      expect((await c.call('/api/signin', { badge: 'X0', pin: '1234' })).status).toBe(429);
      // Past 4 × 2 wrong tries unit-wide each wrong answer is held back longer (never refused).
      expect(held.length).toBe(80 - 8);
      expect(held.slice(0, 3)).toEqual([1000, 2000, 4000]);
      const before = held.length;
      const r = await c.call('/api/signin', { badge: 'A100', pin: '1234' });
      expect(r.status).toBe(200);
      expect(held.length).toBe(before);
      // The pace is not a lockout: it does not survive in the page's database.
      const rows = t.web
        .db!.db.prepare("SELECT count(*) FROM pin_throttle WHERE scope = 'unit'")
        .pluck()
        .get();
      expect(rows).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('keeps a wrong-PIN lockout across a restart; a right PIN after it clears the count for good', async () => {
    let now = Date.parse('2026-11-24T08:00:00Z');
    const t = await startWebUnit({ web: { pinMaxFailures: 2, pinLockoutS: 60 }, now: () => now });
    try {
      const signin = (pin: string) =>
        client(`http://127.0.0.1:${t.web.port}`).call('/api/signin', { badge: 'D400', pin });
      expect((await signin('0000')).status).toBe(401);
      const locked = await signin('0001');
      expect([locked.status, locked.data.error]).toEqual([401, expect.stringMatching(/locked for 60 s/)]);
      // A restart (crash, watchdog, power) does not lift it: the state is in the page's database.
      await t.web.stop();
      await t.web.start();
      now += 30_000;
      const still = await signin('5678');
      expect([still.status, still.data.error]).toEqual([429, expect.stringMatching(/Try again in 30 s/)]);
      // Past the lockout the right PIN signs in; the next lockout starts from a clean count again.
      now += 31_000;
      expect((await signin('5678')).status).toBe(200);
      await t.web.stop();
      await t.web.start();
      const fresh = await signin('0000');
      expect([fresh.status, fresh.data.error]).toEqual([401, expect.stringMatching(/1 try left/)]);
    } finally {
      await t.stop();
    }
  });

  it('shows stored hits again after a restart, with their handling; a pushed roster replaces the old', async () => {
    const t = await startWebUnit();
    try {
      const c = client(t.base);
      await c.call('/api/signin', { badge: 'A100', pin: '1234' });
      const hit = await t.emitHit();
      await c.call(`/api/hits/${hit.id}/action`, { type: 'verify', note: 'dispatch confirmed stolen' });
      await t.web.stop();
      t.web.hits.clear();
      await t.web.start();
      const c2 = client(`http://127.0.0.1:${t.web.port}`);
      expect((await c2.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
      const hits = (await c2.call('/api/hits')).data.hits;
      expect(hits.map((h: { id: string; handling: { state: string } }) => [h.id, h.handling.state])).toEqual([
        [hit.id, 'verified'],
      ]);
      t.web.applyRoster([]);
      expect(
        (await client(`http://127.0.0.1:${t.web.port}`).call('/api/signin', { badge: 'A100', pin: '1234' }))
          .status,
      ).toBe(401);
    } finally {
      await t.stop();
    }
  });

  it('a trailer never tags reads with an operator', async () => {
    const t = await startWebUnit({ mode: 'trailer' });
    try {
      const c = client(t.base);
      expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
      expect(t.web.currentOperator()).toBeNull();
    } finally {
      await t.stop();
    }
  });
});
