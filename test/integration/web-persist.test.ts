/**
 * What the officer's page keeps on disk: sessions that survive a daemon restart (token hashes
 * only, absolute expiry, idle timeout, sign-out), audit rows and notes sealed at rest (no plate,
 * place or reason in clear in web.sqlite), and image views of searched reads in the audit trail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRead } from '../helpers/sync-fixtures.ts';
import { client, jpeg, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';
import { WebStage } from '../../src/web/index.ts';

const units: WebUnit[] = [];
afterEach(async () => {
  for (const u of units.splice(0)) {
    await u.web.stop(); // a restarted stage is not the harness's own
    await u.stop();
  }
});

async function unit(opts: Parameters<typeof startWebUnit>[0] = {}): Promise<WebUnit> {
  const u = await startWebUnit(opts);
  units.push(u);
  return u;
}

/** Stops the unit's web stage and starts a new one on the same data dir (a daemon restart). */
async function restart(u: WebUnit): Promise<string> {
  await u.web.stop();
  u.web = new WebStage({ ...u.web.deps });
  await u.web.start();
  return `http://127.0.0.1:${u.web.port}`;
}

function fileText(u: WebUnit): string {
  const f = join(u.dirs.data, 'web.sqlite');
  return [f, `${f}-wal`].map((p) => (existsSync(p) ? readFileSync(p).toString('latin1') : '')).join('');
}

describe('web: sessions survive a restart', () => {
  it('keeps a signed-in officer across a restart; sign-out, expiry and idleness end it', async () => {
    let now = Date.now();
    const u = await unit({ now: () => now, web: { sessionHours: 1, sessionIdleMinutes: 10 } });
    const c = client(u.base);
    expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    const token = c.cookie.split('=')[1]!;
    expect(fileText(u)).not.toContain(token);

    // Restart: the same cookie still works, reads are still tagged, the system light stays green.
    let base = await restart(u);
    expect(u.web.currentOperator()).toBe('A100');
    const again = client(base);
    const cookie = { cookie: c.cookie };
    expect((await again.call('/api/session', undefined, cookie)).data.operator).toEqual({
      badge: 'A100',
      name: 'Alex Rivera',
    });

    // Idle: 11 minutes without contact ends it, restart or not.
    now += 11 * 60_000;
    base = await restart(u);
    expect(u.web.currentOperator()).toBeNull();
    expect((await client(base).call('/api/session', undefined, cookie)).status).toBe(401);

    // Absolute expiry: contact every 9 minutes still ends at sessionHours.
    const d = client(base);
    expect((await d.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    for (let t = 0; t < 6; t++) {
      now += 9 * 60_000;
      expect((await d.call('/api/session')).status).toBe(200);
    }
    now += 7 * 60_000;
    base = await restart(u);
    expect((await client(base).call('/api/session', undefined, { cookie: d.cookie })).status).toBe(401);

    // Sign-out is kept too: the old cookie does not come back after a restart.
    const e = client(base);
    expect((await e.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    const signedOut = e.cookie;
    expect((await e.call('/api/signout', {})).status).toBe(200);
    base = await restart(u);
    expect((await client(base).call('/api/session', undefined, { cookie: signedOut })).status).toBe(401);
  });
});

describe('web: audit at rest and image views', () => {
  it('seals plates, places, reasons and notes in web.sqlite; audits image views of searched reads', async () => {
    const u = await unit();
    const c = client(u.base);
    await c.call('/api/signin', { badge: 'A100', pin: '1234' });
    const hit = await u.emitHit();
    // The live hit's images: shown without an audit row.
    const before = u.web.db!.recentAudit(100).length;
    expect((await c.call(`/api/images/${hit.readId}/plate`)).status).toBe(200);
    expect(u.web.db!.recentAudit(100).length).toBe(before);
    await c.call(`/api/hits/${hit.id}/action`, {
      type: 'reject',
      reason: 'misread',
      note: `plate is ${hit.plate}8`,
    });

    // A stored read that is not a hit: its images open only from a search that found it.
    const read = makeRead(4242, Date.now() - 3600_000);
    u.bus.emit('read', read);
    u.store.putImage(read.id, 'overview', await jpeg(320, 180, [10, 20, 30]));
    expect((await c.call(`/api/images/${read.id}/overview`)).status).toBe(403);
    const found = await c.call('/api/search', {
      plate: read.plate.slice(1, 6),
      partial: true,
      near: { lat: 47.6097, lon: -122.3331, radiusM: 100 },
      reason: 'robbery witness partial plate',
      caseNumber: 'C-2026-0077',
    });
    expect(found.data.reads.map((r: { id: string }) => r.id)).toContain(read.id);
    const seq = found.data.audit.seq as number;
    expect((await c.call(`/api/images/${read.id}/overview?search=${seq + 100}`)).status).toBe(403);
    const img = await c.call(`/api/images/${read.id}/overview?search=${seq}`);
    expect(img.status).toBe(200);
    expect(Buffer.from(img.data as ArrayBuffer).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await c.call(`/api/images/${read.id}/plate?search=${seq}`)).status).toBe(404);
    const view = u.web.db!.recentAudit(1)[0]!;
    expect(view).toMatchObject({
      kind: 'image-view',
      badge: 'A100',
      detail: { readId: read.id, image: 'overview', search: seq },
      reason: 'robbery witness partial plate',
      caseNumber: 'C-2026-0077',
    });
    // Upstream gets the plaintext row (with its salt), so the server verifies it without the key.
    const sent = u.queued('audit').at(-1)!;
    expect(sent).toMatchObject({
      kind: 'image-view',
      seq: view.seq,
      salt: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(u.web.db!.verifyAudit()).toMatchObject({ ok: true });
    // The same image opened again under the same search (a reload, or a loop of them) is served
    // but audited once; opening it under a new search is a row of its own.
    const rows = u.web.db!.recentAudit(1000).length;
    for (let i = 0; i < 5; i++)
      expect((await c.call(`/api/images/${read.id}/overview?search=${seq}`)).status).toBe(200);
    expect(u.web.db!.recentAudit(1000).length).toBe(rows);
    const again = await c.call('/api/search', {
      plate: read.plate,
      reason: 'robbery follow-up with detective',
      caseNumber: 'C-2026-0077',
    });
    expect((await c.call(`/api/images/${read.id}/overview?search=${again.data.audit.seq}`)).status).toBe(200);
    expect(u.web.db!.recentAudit(1000).length).toBe(rows + 2);
    expect(u.web.db!.verifyAudit()).toMatchObject({ ok: true });

    // At rest: none of it in clear.
    const text = fileText(u);
    for (const secret of [hit.plate, read.plate, read.plate.slice(1, 6), 'robbery witness', '47.6097'])
      expect(text).not.toContain(secret);
    expect(text).toContain('C-2026-0077'); // case numbers stay in clear (no plate in them)

    // Another officer sees their own audit rows only (and whether the whole chain holds).
    const other = client(u.base);
    expect((await other.call('/api/signin', { badge: 'D400', pin: '5678' })).status).toBe(200);
    const theirs = (await other.call('/api/audit')).data;
    expect(theirs.chain).toMatchObject({ ok: true, rows: view.seq + 3 });
    expect(theirs.rows.map((r: { badge: string; kind: string }) => [r.badge, r.kind])).toEqual([
      ['D400', 'sign-in'],
    ]);
  });
});
