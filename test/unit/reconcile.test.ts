import { describe, expect, it } from 'vitest';
import {
  HOUR_MS,
  parseBuckets,
  ResendGate,
  resendWindow,
  ShortfallWatch,
  toBuckets,
} from '../../src/sync/reconcile.ts';
import { parseResendCommand, payloads } from '../../src/sync/topics.ts';

const H = (i: number) => 1_800_000_000_000 - (1_800_000_000_000 % HOUR_MS) + i * HOUR_MS;
const b = (i: number, reads: number, hits = 0) => ({ from: H(i), reads, hits });

describe('tally buckets', () => {
  it('merges reads and hits per hour, oldest first, leaving empty hours out', () => {
    expect(
      toBuckets(
        [
          { h: H(2), n: 5 },
          { h: H(0), n: 1 },
        ],
        [
          { h: H(2), n: 1 },
          { h: H(1), n: 2 },
        ],
      ),
    ).toEqual([b(0, 1), b(1, 0, 2), b(2, 5, 1)]);
  });

  it('takes only whole hours and sane counts from a receiver', () => {
    expect(parseBuckets([b(0, 3, 1)])).toEqual([b(0, 3, 1)]);
    expect(parseBuckets([{ from: H(0) + 1, reads: 1, hits: 0 }])).toBeNull();
    expect(parseBuckets([{ from: H(0), reads: -1, hits: 0 }])).toBeNull();
    expect(parseBuckets([{ from: H(0), reads: 1.5, hits: 0 }])).toBeNull();
    expect(parseBuckets([{ from: H(0), reads: '1', hits: 0 }])).toBeNull();
    expect(parseBuckets('x')).toBeNull();
    expect(parseBuckets(Array.from({ length: 72 }, (_, i) => b(i, 1)))).toHaveLength(72);
    expect(parseBuckets(Array.from({ length: 73 }, (_, i) => b(i, 1)))).toBeNull();
    // oldest first, each hour once
    expect(parseBuckets([b(1, 1), b(0, 1)])).toBeNull();
    expect(parseBuckets([b(0, 1), b(0, 2)])).toBeNull();
  });
});

describe('ShortfallWatch: which hours a receiver asks for again', () => {
  const hours = (v: { ask: { from: number }[] }) => v.ask.map((a) => a.from);

  it('asks only when the store is still short of the first tally after the settling time', () => {
    const w = new ShortfallWatch(600_000);
    // found short: wait
    expect(hours(w.check('u', [b(0, 10)], [b(0, 7)], 0))).toEqual([]);
    // still short but too soon
    expect(hours(w.check('u', [b(0, 10)], [b(0, 7)], 599_999))).toEqual([]);
    // settled and still short of the first count: ask, saying what is missing
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 600_000).ask).toEqual([{ from: H(0), reads: 3, hits: 0 }]);
  });

  it('doubles the wait after each ask and gives up after four, once', () => {
    const w = new ShortfallWatch(1000);
    w.check('u', [b(0, 10)], [b(0, 7)], 0);
    const asked: number[] = [];
    const gaveUp: number[] = [];
    for (let t = 1000; t <= 40_000; t += 1000) {
      const v = w.check('u', [b(0, 10)], [b(0, 7)], t);
      if (v.ask.length) asked.push(t);
      if (v.givenUp.length) gaveUp.push(t);
    }
    // asks at 1 s, then 2, 4 and 8 s after each; the fifth due time gives up
    expect(asked).toEqual([1000, 3000, 7000, 15_000]);
    expect(gaveUp).toEqual([31_000]);
  });

  it('does not ask when the store caught up with the first tally and lags only newer records', () => {
    const w = new ShortfallWatch(600_000);
    expect(hours(w.check('u', [b(0, 10)], [b(0, 7)], 0))).toEqual([]);
    // the 10 arrived; 5 newer ones are on their way
    expect(hours(w.check('u', [b(0, 15)], [b(0, 10)], 600_000))).toEqual([]);
    // those arrived too: nothing is watched any more
    expect(hours(w.check('u', [b(0, 15)], [b(0, 15)], 700_000))).toEqual([]);
    expect(w.size).toBe(0);
  });

  it('counts hits apart from reads, and an hour the store has nothing of', () => {
    const w = new ShortfallWatch(1000);
    w.check('u', [b(0, 4, 2), b(1, 3)], [b(0, 4, 1)], 0);
    expect(w.check('u', [b(0, 4, 2), b(1, 3)], [b(0, 4, 1)], 1000).ask).toEqual([
      { from: H(0), reads: 0, hits: 1 },
      { from: H(1), reads: 3, hits: 0 },
    ]);
  });

  it("keeps units apart, and only the hours of each unit's latest tally", () => {
    const w = new ShortfallWatch(1000);
    w.check('a', [b(0, 2)], [], 0);
    expect(hours(w.check('b', [b(0, 2)], [], 1000))).toEqual([]);
    expect(hours(w.check('a', [b(0, 2)], [b(0, 2)], 1000))).toEqual([]);
    expect(hours(w.check('b', [b(0, 2)], [], 2000))).toEqual([H(0)]);
    // a unit naming ever new hours keeps no more than its latest tally's
    for (let i = 0; i < 100; i++) w.check('c', [b(10 + i, 1)], [], 3000 + i);
    expect(w.size).toBe(1 + 1);
  });

  it('judges a unit at most once a minute', () => {
    const w = new ShortfallWatch(1000);
    expect(w.due('u', 0)).toBe(true);
    w.check('u', [b(0, 2)], [], 0);
    expect(w.due('u', 59_999)).toBe(false);
    expect(w.due('u', 60_000)).toBe(true);
    expect(w.due('v', 1)).toBe(true);
  });
});

describe('resend commands on the unit', () => {
  const unit = { agency: 'metro', id: 'unit-7' };
  const now = H(30);

  it('obeys a window once per 10 minutes and at most 12 commands an hour', () => {
    const g = new ResendGate();
    expect(g.admit(H(0), H(1), 0)).toBe(true);
    expect(g.admit(H(0), H(1), 599_999)).toMatchObject({
      kind: 'repeat',
      reason: expect.stringMatching(/same window/),
    });
    expect(g.admit(H(0), H(1), 600_000)).toBe(true);
    for (let i = 1; i <= 10; i++) expect(g.admit(H(i), H(i + 1), 600_000 + i)).toBe(true);
    expect(g.admit(H(20), H(21), 700_000)).toMatchObject({
      kind: 'cap',
      reason: expect.stringMatching(/more than 12/),
    });
    expect(g.admit(H(20), H(21), HOUR_MS + 1)).toBe(true);
  });

  it('takes windows of at most a day within the last 31 days', () => {
    expect(resendWindow(H(0), H(1), now)).toEqual({ from: H(0), to: H(1) });
    expect(resendWindow(H(1), H(0), now)).toMatch(/after/);
    expect(resendWindow(H(0), H(25), now)).toMatch(/24 h/);
    expect(resendWindow(now - 32 * 24 * HOUR_MS, now - 31.5 * 24 * HOUR_MS, now)).toBe(
      'window older than 31 days',
    );
    expect(resendWindow(now + 2 * HOUR_MS, now + 3 * HOUR_MS, now)).toBe('window in the future');
    expect(resendWindow('1', H(1), now)).toMatch(/epoch/);
  });

  it('refuses commands for another unit, of another type or version, too large or not JSON', () => {
    const ok = payloads.resend(unit, H(0), H(1));
    const enc = (x: unknown) => Buffer.from(JSON.stringify(x));
    expect(parseResendCommand(enc(ok), unit, now)).toEqual(ok);
    expect(parseResendCommand(enc({ ...ok, unit: 'unit-8' }), unit, now)).toBe('for another unit');
    expect(parseResendCommand(enc({ ...ok, agency: 'other' }), unit, now)).toBe('for another unit');
    expect(parseResendCommand(enc({ ...ok, type: 'hold' }), unit, now)).toMatch(/type/);
    expect(parseResendCommand(enc({ ...ok, version: 2 }), unit, now)).toMatch(/version/);
    expect(parseResendCommand(enc({ ...ok, id: 'a b' }), unit, now)).toBe('bad id');
    expect(parseResendCommand(Buffer.from('{'), unit, now)).toBe('not JSON');
    expect(parseResendCommand(enc({ ...ok, pad: 'x'.repeat(5000) }), unit, now)).toMatch(/too large/);
    // extra fields are dropped, not passed on
    expect(parseResendCommand(enc({ ...ok, extra: 1 }), unit, now)).toEqual(ok);
  });
});
