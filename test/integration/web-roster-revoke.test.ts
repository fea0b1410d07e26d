/**
 * The roster decides who may operate the unit (policy: trained users with a current account), and
 * it decides during a shift too: an officer taken off the roster, or whose account expires, is
 * signed out at once; a roster imported by a technician while the unit runs (`alpr roster import`,
 * another process writing the page's database) takes effect for the next sign-in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webSection } from '../../src/config/sections/web.ts';
import { fieldSealer } from '../../src/domain/seal.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { openWebDb } from '../../src/web/db.ts';
import { parseRoster } from '../../src/web/roster.ts';
import { client, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit | null = null;
afterEach(async () => {
  await u?.stop();
  u = null;
});

describe('the roster during a shift', () => {
  it('an officer taken off the roster is signed out at once: the cookie stops working, the trail says why', async () => {
    u = await startWebUnit();
    const unit = u;
    const operator: HealthReport[] = [];
    unit.bus.on('health', (h) => {
      if (h.component === 'operator') operator.push(h);
    });
    const c = client(unit.base);
    expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    expect((await c.call('/api/session')).status).toBe(200);
    expect(operator.at(-1)?.light).toBe('green');
    const csv = 'badge,name,trained,pin,expires\nD400,Dana Doe,true,5678,\n';
    unit.web.applyRoster(await parseRoster(csv, 'csv'));
    // nothing the old cookie asks for is answered any more
    for (const [path, body] of [
      ['/api/session', undefined],
      ['/api/reads', undefined],
      ['/api/search', { plate: 'ABC123', reason: 'stolen car report', caseNumber: 'C-2026-7' }],
    ] as const) {
      expect((await c.call(path, body)).status, path).toBe(401);
    }
    expect(operator.at(-1)).toMatchObject({ light: 'amber' });
    const [last] = unit.web.db!.recentAudit(1);
    expect(last).toMatchObject({
      kind: 'sign-out',
      badge: 'A100',
      detail: { reason: 'account no longer allowed by the roster' },
    });
    // the server hears of it like any audit row
    expect(unit.queued('audit').some((r) => r.kind === 'sign-out')).toBe(true);
    expect(unit.cap.text()).toContain('the roster no longer lets this account operate the unit');
  });

  it('an account that expires mid-shift ends its session when it expires, not at the end of the shift', async () => {
    let now = Date.now();
    u = await startWebUnit({ now: () => now });
    const unit = u;
    const entries = await parseRoster('badge,name,trained,pin,expires\nE500,Eve Temp,true,2468,\n', 'csv');
    unit.web.applyRoster(entries.map((e) => ({ ...e, expires: now + 3600_000 })));
    const c = client(unit.base);
    expect((await c.call('/api/signin', { badge: 'E500', pin: '2468' })).status).toBe(200);
    now += 3500_000;
    expect((await c.call('/api/session')).status).toBe(200);
    now += 200_000;
    expect((await c.call('/api/session')).status).toBe(401);
    expect(unit.web.currentOperator()).toBeNull();
  });

  it('a roster imported by another process while the unit runs signs in with its own PINs at once', async () => {
    u = await startWebUnit();
    const unit = u;
    // what `alpr roster import` does: its own connection to the page's database, a fresh roster key
    const cipher = fieldSealer('aes-256-gcm', () => readFileSync(join(unit.dirs.creds, 'store.key')), 'web');
    const other = openWebDb(join(unit.dirs.data, webSection.parse({}).file), cipher);
    other.replaceRoster(
      await parseRoster(
        'badge,name,trained,pin,expires\nA100,Alex Rivera,true,9753,\nF600,Fay,true,1357,\n',
        'csv',
      ),
      Date.now(),
    );
    other.close();
    const c = client(unit.base);
    const r = await c.call('/api/signin', { badge: 'F600', pin: '1357' });
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    expect((await client(unit.base).call('/api/signin', { badge: 'A100', pin: '9753' })).status).toBe(200);
    // the old PIN is no longer the officer's
    expect((await client(unit.base).call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(401);
  });
});
