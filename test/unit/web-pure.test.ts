import { describe, expect, it } from 'vitest';
import { webSection } from '../../src/config/sections/web.ts';
import { distanceM } from '../../src/domain/geo.ts';
import { type AuditRow, canonicalJson, chainRow, GENESIS, verifyAuditChain } from '../../src/web/audit.ts';
import {
  type HitAction,
  type HitState,
  nextHitState,
  OUTCOMES,
  OUTCOMES_BY_STATE,
  parseHitAction,
} from '../../src/web/hit-state.ts';
import { hostName } from '../../src/core/host-header.ts';
import { statusView } from '../../src/web/status.ts';
import { hashPin, PinThrottle, parsePinHash, pinProblem, verifyPin } from '../../src/web/pin.ts';
import { csvRows, parseRoster } from '../../src/web/roster.ts';
import type { SessionRow } from '../../src/web/db.ts';
import { parseCookies, SESSION_COOKIE, Sessions, sessionCookie, tokenHash } from '../../src/web/session.ts';

describe('web: PINs', () => {
  it('hashes with scrypt, verifies the right PIN only, and rejects malformed hashes', async () => {
    const h = await hashPin('4321');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPin('4321', h)).toBe(true);
    expect(await verifyPin('4322', h)).toBe(false);
    expect(await hashPin('4321')).not.toBe(h); // salted
    for (const bad of [
      '',
      'plain',
      'scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==',
      h.replace('16384', '4194304'),
    ])
      expect(parsePinHash(bad)).toBeNull();
    expect(await verifyPin('4321', 'scrypt$1$1$1$x$y')).toBe(false);
  });

  it.each([
    ['1234', null],
    ['123456789012', null],
    ['123', 'PIN: 4 to 12 digits'],
    ['12a4', 'PIN: 4 to 12 digits'],
    ['1234567890123', 'PIN: 4 to 12 digits'],
  ])('PIN %s → %s', (pin, want) => expect(pinProblem(pin)).toBe(want));

  it('throttles wrong PINs per badge, doubling lockouts, cleared by a right PIN', () => {
    const t = new PinThrottle(3, 10_000);
    expect(t.fail('A', 0)).toBe(2);
    expect(t.fail('A', 1)).toBe(1);
    expect(t.waitMs('A', 2)).toBe(0);
    expect(t.fail('A', 2)).toBe(0);
    expect(t.waitMs('A', 3)).toBe(9_999);
    expect(t.waitMs('B', 3)).toBe(0);
    expect(t.waitMs('A', 10_002)).toBe(0);
    for (let i = 0; i < 3; i++) t.fail('A', 20_000);
    expect(t.waitMs('A', 20_000)).toBe(20_000);
    t.success('A');
    expect(t.waitMs('A', 20_001)).toBe(0);
    expect(t.fail('A', 20_001)).toBe(2);
  });
});

describe('web: sessions', () => {
  it('issues random tokens that expire; one operator at a time', () => {
    let now = 1000;
    const s = new Sessions(60_000, () => now);
    const { session: a, token: ta } = s.create({ badge: 'A1', name: 'A' });
    expect(ta).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).toBe(tokenHash(ta));
    expect(a.id).not.toContain(ta);
    expect(s.get(ta)?.badge).toBe('A1');
    expect(s.current()).toBe('A1');
    expect(s.get('nope')).toBeNull();
    expect(s.get(undefined)).toBeNull();
    const { token: tb } = s.create({ badge: 'B2', name: 'B' });
    expect(tb).not.toBe(ta);
    expect(s.get(ta)).toBeNull();
    expect(s.current()).toBe('B2');
    now += 60_000;
    expect(s.get(tb)).toBeNull();
    expect(s.current()).toBeNull();
    const { session: c } = s.create({ badge: 'C3', name: 'C' });
    s.end(c.id);
    expect(s.current()).toBeNull();
  });

  it('ends a session idle too long; contact keeps it; a store keeps only token hashes and survives a restart', () => {
    let now = 0;
    const rows = new Map<string, SessionRow>();
    const store = {
      putSession: (r: SessionRow, only: boolean) => {
        if (only) rows.clear();
        rows.set(r.tokenHash, { ...r });
      },
      sessions: () => [...rows.values()].map((r) => ({ ...r })),
      touchSession: (h: string, t: number) => {
        const r = rows.get(h);
        if (r) r.lastSeen = t;
      },
      deleteSession: (h: string) => rows.delete(h),
    };
    const s = new Sessions(8 * 3600_000, () => now, 30 * 60_000);
    s.attach(store);
    const { token } = s.create({ badge: 'A1', name: 'A' });
    expect(JSON.stringify([...rows.values()])).not.toContain(token);
    // Contact every 20 min for 2 h keeps it; the stored lastSeen follows (at most once a minute).
    for (let i = 0; i < 6; i++) {
      now += 20 * 60_000;
      expect(s.get(token)?.badge).toBe('A1');
    }
    expect(rows.get(tokenHash(token))?.lastSeen).toBe(now);
    // A restart: a new Sessions on the same store takes it up.
    const after = new Sessions(8 * 3600_000, () => now, 30 * 60_000);
    after.attach(store);
    expect(after.current()).toBe('A1');
    expect(after.get(token)?.badge).toBe('A1');
    now += 30 * 60_000;
    expect(after.get(token)).toBeNull();
    expect(rows.size).toBe(0);
    // Absolute expiry even with contact.
    const { token: t2 } = after.create({ badge: 'B2', name: 'B' });
    for (let i = 0; i < 25; i++) {
      now += 20 * 60_000;
      after.get(t2);
    }
    expect(after.get(t2)).toBeNull();
  });

  it('sets an HttpOnly, SameSite=Strict cookie with the remaining lifetime, and parses cookies', () => {
    const { session: s, token } = new Sessions(3_600_000, () => 0).create({ badge: 'A', name: 'A' });
    const c = sessionCookie(s, token, 600_000);
    expect(c).toBe(`${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=3000`);
    expect(parseCookies(`x=1; ${SESSION_COOKIE}=abc; ${SESSION_COOKIE}=def`)).toEqual({
      x: '1',
      [SESSION_COOKIE]: 'abc',
    });
    expect(parseCookies(undefined)).toEqual({});
  });

  it.each([
    ['127.0.0.1:8730', '127.0.0.1'],
    ['LOCALHOST', 'localhost'],
    ['[::1]:80', '::1'],
    ['evil.example:8730', 'evil.example'],
    [undefined, ''],
  ])('Host %s → %s', (h, want) => expect(hostName(h)).toBe(want));
});

describe('web: hit state machine', () => {
  const req: HitAction = { type: 'request' };
  const ver: HitAction = { type: 'verify' };
  const rej: HitAction = { type: 'reject', reason: 'misread' };
  const other: HitAction = { type: 'reject', reason: 'other' };
  const cases: [HitState, HitAction, HitState | string][] = [
    ['new', req, 'requested'],
    ['new', ver, 'verified'],
    ['new', rej, 'rejected'],
    ['requested', ver, 'verified'],
    ['requested', rej, 'rejected'],
    ['requested', req, 'a requested hit cannot be sent to dispatch again'],
    ['verified', rej, 'rejected'],
    ['verified', ver, 'a verified hit cannot be verified'],
    ['verified', req, 'a verified hit cannot be sent to dispatch again'],
    ['rejected', ver, 'a rejected hit cannot be verified'],
    ['rejected', rej, 'a rejected hit cannot be rejected again'],
    ['new', other, 'note: say why when the reason is "other"'],
    ['new', { ...other, note: 'plate cover' }, 'rejected'],
  ];
  it.each(cases)('%s + %j → %s', (from, action, want) => {
    const t = nextHitState(from, action);
    expect(t.ok ? t.state : t.error).toBe(want);
  });

  it.each([
    [
      { type: 'verify', note: ' ok ' },
      { type: 'verify', note: 'ok' },
    ],
    [
      { type: 'reject', reason: 'wrong-state' },
      { type: 'reject', reason: 'wrong-state' },
    ],
    [
      { type: 'reject', reason: 'toString' },
      'reason: one of misread, wrong-state, vehicle-mismatch, entry-not-valid, dismissed, other',
    ],
    [
      { type: 'reject' },
      'reason: one of misread, wrong-state, vehicle-mismatch, entry-not-valid, dismissed, other',
    ],
    [{ type: 'accept' }, 'type: request, verify or reject'],
    [null, 'type: request, verify or reject'],
    [{ type: 'verify', note: 'x'.repeat(501) }, 'note: at most 500 characters'],
  ])('parses %j', (body, want) => expect(parseHitAction(body)).toEqual(want));

  it('offers on each card only outcomes that are transitions from its state', () => {
    for (const [from, keys] of Object.entries(OUTCOMES_BY_STATE)) {
      for (const k of keys) {
        const o: { type: string; reason?: string } = OUTCOMES[k];
        const action = parseHitAction({ type: o.type, reason: o.reason });
        expect(typeof action, `${from} → ${k}`).toBe('object');
        expect(nextHitState(from as HitState, action as HitAction).ok, `${from} → ${k}`).toBe(true);
      }
    }
    // Rejected is final: nothing to tap.
    expect(OUTCOMES_BY_STATE.rejected).toEqual([]);
  });
});

describe('web: audit chain', () => {
  function chain(n: number): AuditRow[] {
    const rows: AuditRow[] = [];
    for (let i = 0; i < n; i++) {
      rows.push(
        chainRow(rows.at(-1) ?? null, {
          at: 1_700_000_000_000 + i,
          badge: 'A100',
          kind: 'search',
          detail: { plate: `ABC${i}`, partial: false },
          reason: 'stolen vehicle follow-up',
          caseNumber: 'C-1',
          resultCount: i,
        }),
      );
    }
    return rows;
  }

  it('links each row to the one before and verifies an intact chain', () => {
    const rows = chain(5);
    expect(rows[0]!.prevHash).toBe(GENESIS);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < 5; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    expect(verifyAuditChain(rows)).toEqual({ ok: true, rows: 5, head: rows[4]!.hash });
    expect(verifyAuditChain([])).toEqual({ ok: true, rows: 0, head: GENESIS });
  });

  it('reports the first altered, removed or relinked row', () => {
    const altered = chain(5);
    altered[2] = { ...altered[2]!, resultCount: 0 };
    expect(verifyAuditChain(altered)).toMatchObject({
      ok: false,
      firstBad: 3,
      why: expect.stringMatching(/altered/),
    });
    const nested = chain(5);
    nested[1] = { ...nested[1]!, detail: { partial: false, plate: 'XYZ1' } };
    expect(verifyAuditChain(nested)).toMatchObject({ ok: false, firstBad: 2 });
    const removed = chain(5);
    removed.splice(3, 1);
    expect(verifyAuditChain(removed)).toMatchObject({
      ok: false,
      firstBad: 5,
      why: 'row 4 is missing (found 5)',
    });
    // Rewriting one row and its own hash still breaks the next row's link.
    const rehashed = chain(5);
    const forged = chainRow(rehashed[0]!, { ...rehashed[1]!, resultCount: 99 });
    rehashed[1] = forged;
    expect(verifyAuditChain(rehashed)).toMatchObject({
      ok: false,
      firstBad: 3,
      why: 'does not link to the row before it',
    });
  });

  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":null,"z":1}]},"b":1}',
    );
  });
});

describe('web: roster', () => {
  it('reads CSV with quotes, hashes clear PINs, keeps given hashes', async () => {
    const hash = await hashPin('9999');
    const list = await parseRoster(
      `badge,name,trained,pin,pin_hash,expires\nA1,"Rivera, Alex",true,1234,,2030-01-01\nB2,Bo,no,,${hash},\n`,
      'csv',
    );
    expect(list.map((e) => [e.badge, e.name, e.trained, e.expires])).toEqual([
      ['A1', 'Rivera, Alex', true, Date.parse('2030-01-01')],
      ['B2', 'Bo', false, null],
    ]);
    expect(await verifyPin('1234', list[0]!.pinHash)).toBe(true);
    expect(list[1]!.pinHash).toBe(hash);
    const json = await parseRoster(
      JSON.stringify([{ badge: 'J1', name: 'Jo', trained: true, pinHash: hash }]),
      'json',
    );
    expect(json[0]).toMatchObject({ badge: 'J1', trained: true, pinHash: hash, expires: null });
  });

  it('lists every bad line', async () => {
    const err = await parseRoster(
      'badge,name,trained,pin,expires\nA 1,X,true,1234,\nB2,,maybe,12,\nC3,C,true,,soon\nC3,C,true,1234,\n',
      'csv',
    ).catch((e: { details: string[] }) => e);
    expect((err as { details: string[] }).details).toEqual([
      'user 1: badge must be 1-32 of A-Z a-z 0-9 _ -',
      'user 2: name is required (at most 100 characters)',
      'user 2: trained must be true or false',
      'user 2: PIN: 4 to 12 digits',
      'user 3: expires is not a date',
      'user 3: pin_hash (or pin) is required',
      'user 4: badge C3 appears twice',
    ]);
    expect(csvRows('a,"b ""q"""\r\n\r\nc,d')).toEqual([
      ['a', 'b "q"'],
      ['c', 'd'],
    ]);
  });
});

describe('web: config section', () => {
  it('binds to loopback by default and never to every interface', () => {
    const d = webSection.parse({});
    expect([d.host, d.port, d.enabled]).toEqual(['127.0.0.1', 8730, true]);
    expect(webSection.safeParse({ host: '0.0.0.0' }).success).toBe(false);
    expect(webSection.safeParse({ host: '::' }).success).toBe(false);
    expect(webSection.safeParse({ host: '10.0.0.2' }).success).toBe(true);
    expect(webSection.safeParse({ extra: 1 }).success).toBe(false);
    expect(webSection.safeParse({ file: '../x.sqlite' }).success).toBe(false);
  });
});

describe('domain: distanceM', () => {
  it.each([
    [{ lat: 0, lon: 0 }, { lat: 0, lon: 1 }, 111_195],
    [{ lat: 47.6097, lon: -122.3331 }, { lat: 47.62, lon: -122.3331 }, 1145],
    [{ lat: 10, lon: 20 }, { lat: 10, lon: 20 }, 0],
  ])('%j → %j ≈ %d m', (a, b, m) => expect(distanceM(a, b)).toBeCloseTo(m, -1));
});

describe('web: status view', () => {
  it("each part's line names its component once, on a green light and a red one", () => {
    const parts = {
      cameras: [
        { component: 'camera:rear', light: 'green' as const, reason: 'camera rear: frames arriving' },
        { component: 'camera:front', light: 'green' as const, reason: 'frames arriving' },
      ],
      gps: [{ component: 'gps', light: 'red' as const, reason: 'no fix for 40 s' }],
    };
    const v = statusView(
      {
        cameras: { light: 'green', reasons: ['ok'] },
        gps: { light: 'red', reasons: ['gps: no fix for 40 s'] },
      },
      parts,
      [],
      null,
      1_000,
    );
    expect(v.lights.cameras!.words).toBe('camera:front: frames arriving; camera rear: frames arriving');
    expect(v.lights.cameras!.parts.map((p) => p.words)).toEqual([
      'camera:front: frames arriving',
      'camera rear: frames arriving',
    ]);
    expect(v.lights.gps!.parts[0]!.words).toBe('gps: no fix for 40 s');
  });
});
