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
    expect(parseBuckets(Array.from({ length: 49 }, (_, i) => b(i, 1)))).toBeNull();
  });
});

describe('ShortfallWatch: which hours a receiver asks for again', () => {
  it('asks only when the store is still short of the first tally after the settling time', () => {
    const w = new ShortfallWatch(600_000);
    // found short: wait
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 0)).toEqual([]);
    // still short but too soon
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 599_999)).toEqual([]);
    // settled and still short of the first count: ask, and wait again before asking again
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 600_000)).toEqual([H(0)]);
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 900_000)).toEqual([]);
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 1_200_000)).toEqual([H(0)]);
  });

  it('does not ask when the store caught up with the first tally and lags only newer records', () => {
    const w = new ShortfallWatch(600_000);
    expect(w.check('u', [b(0, 10)], [b(0, 7)], 0)).toEqual([]);
    // the 10 arrived; 5 newer ones are on their way
    expect(w.check('u', [b(0, 15)], [b(0, 10)], 600_000)).toEqual([]);
    // those arrived too: nothing is watched any more
    expect(w.check('u', [b(0, 15)], [b(0, 15)], 700_000)).toEqual([]);
    expect(w.size).toBe(0);
  });

  it('counts hits apart from reads, and an hour the store has nothing of', () => {
    const w = new ShortfallWatch(1000);
    w.check('u', [b(0, 4, 2), b(1, 3)], [b(0, 4, 1)], 0);
    expect(w.check('u', [b(0, 4, 2), b(1, 3)], [b(0, 4, 1)], 1000)).toEqual([H(0), H(1)]);
  });

  it('keeps units apart and forgets an hour the store got', () => {
    const w = new ShortfallWatch(1000);
    w.check('a', [b(0, 2)], [], 0);
    expect(w.check('b', [b(0, 2)], [], 1000)).toEqual([]);
    expect(w.check('a', [b(0, 2)], [b(0, 2)], 1000)).toEqual([]);
    expect(w.check('a', [b(0, 2)], [b(0, 1)], 2000)).toEqual([]);
    expect(w.check('b', [b(0, 2)], [], 2000)).toEqual([H(0)]);
  });
});

describe('resend commands on the unit', () => {
  const unit = { agency: 'metro', id: 'unit-7' };
  const now = H(30);

  it('obeys a window once per 10 minutes and at most 12 commands an hour', () => {
    const g = new ResendGate();
    expect(g.admit(H(0), H(1), 0)).toBe(true);
    expect(g.admit(H(0), H(1), 599_999)).toMatch(/same window/);
    expect(g.admit(H(0), H(1), 600_000)).toBe(true);
    for (let i = 1; i <= 10; i++) expect(g.admit(H(i), H(i + 1), 600_000 + i)).toBe(true);
    expect(g.admit(H(20), H(21), 700_000)).toMatch(/more than 12/);
    expect(g.admit(H(20), H(21), HOUR_MS + 1)).toBe(true);
  });

  it('takes windows of at most a day within the last 31 days', () => {
    expect(resendWindow(H(0), H(1), now)).toEqual({ from: H(0), to: H(1) });
    expect(resendWindow(H(1), H(0), now)).toMatch(/after/);
    expect(resendWindow(H(0), H(25), now)).toMatch(/24 h/);
    expect(resendWindow(now - 32 * 24 * HOUR_MS, now - 31.5 * 24 * HOUR_MS, now)).toMatch(/31 days/);
    expect(resendWindow(now + 2 * HOUR_MS, now + 3 * HOUR_MS, now)).toMatch(/31 days/);
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
