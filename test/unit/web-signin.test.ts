import { describe, expect, it } from 'vitest';
import {
  PinThrottle,
  THROTTLE_KEYS,
  type ThrottleState,
  type ThrottleStore,
  UnitPace,
} from '../../src/web/pin.ts';
import type { RosterEntry } from '../../src/web/roster.ts';
import { SignInGuard, type SignInOutcome } from '../../src/web/signin.ts';

const ROSTER: Record<string, RosterEntry> = {
  A100: { badge: 'A100', name: 'Alex Rivera', trained: true, pinHash: 'hash-of-1234', expires: null },
  B200: { badge: 'B200', name: 'Bo Untrained', trained: false, pinHash: 'hash-of-1234', expires: null },
};

/** A throttle store kept in a Map: what the page's database would hold across a restart. */
function memoryStore(): ThrottleStore & { rows: Map<string, ThrottleState> } {
  const rows = new Map<string, ThrottleState>();
  return {
    rows,
    load: () => [...rows].map(([k, v]): [string, ThrottleState] => [k, { ...v }]),
    save: (k, v) => (v ? rows.set(k, { ...v }) : rows.delete(k)),
  };
}

/**
 * A guard whose hash checks are counted and answer only when the test lets them (`settle`), so
 * that parallel tries really overlap; the fake hash of PIN p is `hash-of-p`.
 */
function rig(
  max = 5,
  opts: { store?: ThrottleStore; hang?: boolean; holdSleeps?: boolean; perAddress?: boolean } = {},
) {
  let now = 1_000_000;
  // as the web stage wires it with per-address lockouts: the badge-wide count four times the limit
  const throttle = new PinThrottle(opts.perAddress ? max * 4 : max, 60_000);
  throttle.attach(opts.store ?? null);
  const homes = new Map<string, string>();
  const local = opts.perAddress ? new PinThrottle(max, 60_000) : undefined;
  const sleeps: number[] = [];
  const checked: string[] = [];
  const waiting: (() => void)[] = [];
  const guard = new SignInGuard({
    throttle,
    ...(local
      ? { local, homes: { get: (b: string) => homes.get(b), set: (b: string, a: string) => homes.set(b, a) } }
      : {}),
    pace: new UnitPace(max * 4, 60_000, 30_000),
    roster: (b) => ROSTER[b],
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      // held answers stay held for the whole test
      if (opts.holdSleeps) await new Promise(() => {});
    },
    verify: (pin, stored) => {
      checked.push(pin);
      return new Promise((resolve) => {
        if (!opts.hang) waiting.push(() => resolve(stored === `hash-of-${pin}`));
      });
    },
  });
  return {
    guard,
    throttle,
    sleeps,
    checked,
    advance: (ms: number) => {
      now += ms;
    },
    /** Lets hash checks answer as they start, until every try given has its answer. */
    async settle<T>(tries: Promise<T>[] = []): Promise<T[]> {
      let done = false;
      const all = Promise.all(tries).finally(() => {
        done = true;
      });
      // At least a few turns, so that checks started by earlier tries answer too.
      for (let i = 0; !done || i < 20; i++) {
        await new Promise((r) => setImmediate(r));
        for (const w of waiting.splice(0)) w();
      }
      return all;
    },
  };
}

const pins = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String(from + i).padStart(4, '0'));

describe('sign-in: parallel guesses', () => {
  it('200 guesses at once with a limit of 5 get at most 5 hash checks, the right PIN among them refused', async () => {
    const r = rig(5);
    // The right PIN last, as an attacker would hope to reach it.
    const guesses = [...pins(199, 5000), '1234'];
    const done = guesses.map((p) => r.guard.attempt('A100', p));
    await r.settle(done);
    // Wave after wave, as fast as answers come back: the count holds across waves too.
    const later: Promise<SignInOutcome>[] = [];
    for (let wave = 0; wave < 10; wave++) {
      for (const p of pins(20, wave * 20)) later.push(r.guard.attempt('A100', p));
      await r.settle(later);
    }
    const outcomes = await Promise.all([...done, ...later]);
    expect(r.checked.length).toBeLessThanOrEqual(5);
    expect(r.checked).not.toContain('1234');
    expect(outcomes.filter((o) => o.kind === 'ok')).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'wrong').length).toBe(r.checked.length);
    expect(r.throttle.waitMs('A100', 1_000_000)).toBeGreaterThan(0);
  });

  it('counts a try before its hash: tries cut short by a crash still lock the badge', async () => {
    const store = memoryStore();
    for (let crash = 0; crash < 3; crash++) {
      // Each "run" starts a check that never answers (the daemon dies mid-hash), then restarts.
      const r = rig(3, { store, hang: true });
      void r.guard.attempt('A100', pins(1, crash)[0]!);
      await new Promise((res) => setImmediate(res));
      expect(r.checked.length).toBe(1);
    }
    const r = rig(3, { store });
    const o = await r.guard.attempt('A100', '1234');
    expect(o.kind).toBe('locked');
    expect(r.checked).toEqual([]);
  });
});

describe('sign-in: lockouts per badge and address', () => {
  it("another device's wrong tries lock that device out, never the officer at the screen the badge signs in from", async () => {
    const r = rig(5, { perAddress: true });
    const at = async (badge: string, pin: string, client: string) =>
      (await r.settle([r.guard.attempt(badge, pin, client)]))[0]!;
    expect(await at('A100', '1234', '10.0.0.5')).toMatchObject({ kind: 'ok' });
    // someone else, from another address, with the officer's badge
    const tries = [];
    for (let i = 0; i < 6; i++) tries.push(await at('A100', pins(1, i)[0]!, '192.0.2.66'));
    expect(tries.map((o) => o.kind)).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'locked']);
    expect(await at('A100', '1234', '192.0.2.66')).toMatchObject({ kind: 'locked' });
    // the officer at the screen signs in all the same
    expect(await at('A100', '1234', '10.0.0.5')).toMatchObject({ kind: 'ok' });
    // many addresses: four times the limit across them (counted since the badge's last right PIN)
    // locks the badge everywhere else...
    let n = 0;
    for (let a = 67; n < 20; a++)
      for (let i = 0; i < 5 && n < 20; i++, n++) await at('A100', pins(1, 100 + n)[0]!, `192.0.2.${a}`);
    expect(await at('A100', '1234', '192.0.2.99')).toMatchObject({ kind: 'locked' });
    // ...but not at the officer's screen
    expect(await at('A100', '1234', '10.0.0.5')).toMatchObject({ kind: 'ok' });
  });

  it('wrong tries at the screen itself still lock it, at the badge limit', async () => {
    const r = rig(3, { perAddress: true });
    const at = async (pin: string) => (await r.settle([r.guard.attempt('A100', pin, '10.0.0.5')]))[0]!;
    expect(await at('1234')).toMatchObject({ kind: 'ok' });
    const out = [];
    for (const p of pins(4)) out.push((await at(p)).kind);
    expect(out).toEqual(['wrong', 'wrong', 'wrong', 'locked']);
    expect(await at('1234')).toMatchObject({ kind: 'locked' });
  });
});

describe('sign-in: one device flooding', () => {
  it('600 made-up badges at once from one address get 2 checks at a time; the officer elsewhere is checked at once', async () => {
    const r = rig(5);
    const flood = Array.from({ length: 600 }, (_, i) => r.guard.attempt(`Z${i}`, '0000', '192.0.2.7'));
    // (a made-up badge's stand-in hash is a real scrypt hash, made once: wait for the checks)
    const checks = async (n: number) => {
      for (let i = 0; i < 2000 && r.checked.length < n; i++) await new Promise((res) => setTimeout(res, 1));
      return r.checked.length;
    };
    // before any check answers: the device has two in flight, the rest were turned away unhashed
    expect(await checks(2)).toBe(2);
    const officer = r.guard.attempt('A100', '1234', '127.0.0.1');
    expect(await checks(3)).toBe(3);
    const [mine, ...theirs] = await r.settle([officer, ...flood]);
    expect(mine).toMatchObject({ kind: 'ok', entry: { badge: 'A100' } });
    expect(theirs.filter((o) => o.kind === 'busy' && o.why === 'client')).toHaveLength(598);
    // once its checks are answered the device may try again
    const [again] = await r.settle([r.guard.attempt('Z9999', '0000', '192.0.2.7')]);
    expect(again!.kind).toBe('wrong');
  });

  it("wrong answers held back by the pace do not keep the officer's right PIN from the same address out", async () => {
    const r = rig(5, { holdSleeps: true });
    // the unit-wide allowance used up (20 wrong tries answered at once)
    for (let i = 0; i < 20; i++) await r.settle([r.guard.attempt(`X${i}`, '1111', '192.0.2.9')]);
    expect(r.sleeps).toEqual([]);
    // two more from the car's network address: checked, then held back by the pace
    const held = [r.guard.attempt('Y1', '1111', '10.0.0.5'), r.guard.attempt('Y2', '1111', '10.0.0.5')];
    for (let i = 0; i < 2000 && r.sleeps.length < 2; i++) {
      await r.settle();
      await new Promise((res) => setTimeout(res, 1));
    }
    expect(r.sleeps).toEqual([1000, 2000]);
    const [mine] = await r.settle([r.guard.attempt('A100', '1234', '10.0.0.5')]);
    expect(mine).toMatchObject({ kind: 'ok', entry: { badge: 'A100' } });
    // the held badges themselves stay busy: one guess per badge per pause
    const [again] = await r.settle([r.guard.attempt('Y1', '1111', '192.0.2.10')]);
    expect(again).toEqual({ kind: 'busy', why: 'badge' });
    void held;
  });

  it("a flood of made-up badges neither wipes a badge's wrong tries nor tells roster badges apart", () => {
    const t = new PinThrottle(5, 60_000);
    // probed before the flood: a roster badge and a made-up one once each, another roster badge 4 times
    t.fail('A100', 1000);
    t.fail('Q999', 1001);
    for (let i = 0; i < 4; i++) t.fail('B200', 1002 + i);
    for (let i = 0; i < THROTTLE_KEYS.soft + 50; i++) t.fail(`Z${i}`, 2000 + i);
    // the same answer for both badges tried once (their single try made room, whoever's it was)
    expect(t.fail('A100', 20_000)).toBe(t.fail('Q999', 20_000));
    // the fifth wrong try on B200 still locks it
    t.fail('B200', 20_000);
    expect(t.waitMs('B200', 20_001)).toBeGreaterThan(0);
  });

  it('made-up badges tried twice fill the table only up to its hard limit', () => {
    const t = new PinThrottle(5, 60_000);
    for (let i = 0; i < 4; i++) t.fail('B200', 1000 + i);
    for (let i = 0; i < THROTTLE_KEYS.hard + 50; i++) {
      t.fail(`Z${i}`, 2000 + 2 * i);
      t.fail(`Z${i}`, 2001 + 2 * i);
    }
    // B200, the oldest, went to make room: its next wrong try is its first again
    expect(t.fail('B200', 500_000)).toBe(4);
    expect(t.fail(`Z${THROTTLE_KEYS.hard + 49}`, 500_001)).toBe(2);
  });
});

describe('sign-in: unit-wide pace', () => {
  it('made-up badges slow wrong answers down but never keep the right PIN of a real badge out', async () => {
    const r = rig(5);
    const outcomes = [];
    for (let i = 0; i < 200; i++) {
      outcomes.push(...(await r.settle([r.guard.attempt(`X${i}`, '1111')])));
    }
    expect(outcomes.every((o) => o.kind === 'wrong')).toBe(true);
    // Free for the first 4 × limit wrong tries, then 1 s doubling, capped at 30 s.
    expect(r.sleeps.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 16000, 30000]);
    expect(r.sleeps.length).toBe(200 - 20);
    const before = r.sleeps.length;
    const [right] = await r.settle([r.guard.attempt('A100', '1234')]);
    expect(right).toMatchObject({ kind: 'ok', entry: { badge: 'A100' } });
    expect(r.sleeps.length).toBe(before);
  });

  it.each([
    [0, 0],
    [20, 0],
    [21, 1000],
    [23, 4000],
    [40, 30000],
  ])('after %i wrong tries in the window the next waits as the %ith', (n, want) => {
    const p = new UnitPace(20, 60_000, 30_000);
    let last = 0;
    for (let i = 0; i < n; i++) last = p.wrong(i);
    expect(last).toBe(want);
  });

  it('forgets wrong tries older than the window', () => {
    const p = new UnitPace(2, 60_000, 30_000);
    for (let i = 0; i < 5; i++) p.wrong(0);
    expect(p.wrong(60_001)).toBe(0);
  });
});

describe('sign-in: answers say nothing about the roster', () => {
  it('a badge not on the roster is checked and answered exactly like a wrong PIN', async () => {
    const r = rig(3);
    const seq = async (badge: string) => {
      const out = [];
      for (const p of pins(4)) {
        out.push(...(await r.settle([r.guard.attempt(badge, p)])));
      }
      return out.map((o) => (o.kind === 'wrong' ? { kind: o.kind, left: o.left } : o));
    };
    const real = await seq('A100');
    const madeUp = await seq('Z999');
    expect(madeUp).toEqual(real);
    expect(real.map((o) => o.kind)).toEqual(['wrong', 'wrong', 'wrong', 'locked']);
    // The unknown badge cost a hash check too (no timing difference to measure).
    expect(r.checked.length).toBe(6);
  });

  it('an untrained account is barred only once its right PIN is given', async () => {
    const r = rig(3);
    const [wrong] = await r.settle([r.guard.attempt('B200', '9999')]);
    expect(wrong?.kind).toBe('wrong');
    const [right] = await r.settle([r.guard.attempt('B200', '1234')]);
    expect(right).toEqual({ kind: 'barred' });
  });
});
