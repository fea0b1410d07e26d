import { describe, expect, it } from 'vitest';
import { SearchLimiter } from '../../src/web/search-limit.ts';

describe('SearchLimiter: searches per badge', () => {
  it('allows perMinute searches in any minute and says how long to wait', () => {
    const l = new SearchLimiter(3);
    expect([0, 1000, 2000].map((t) => l.admit('A1', t))).toEqual([0, 0, 0]);
    expect(l.admit('A1', 30_000)).toBe(30_000);
    // refusals are not counted: the first search leaves the minute at 60 s
    expect(l.admit('A1', 59_999)).toBe(1);
    expect(l.admit('A1', 60_000)).toBe(0);
    // other badges have their own count
    expect(l.admit('B2', 30_000)).toBe(0);
  });

  it('allows six times perMinute in any hour', () => {
    const l = new SearchLimiter(2);
    // 2 a minute for 6 minutes: 12 in all
    for (let m = 0; m < 6; m++) for (const s of [0, 1000]) expect(l.admit('A1', m * 60_000 + s)).toBe(0);
    // the 7th minute is within the minute rule but over the hour's 12
    expect(l.admit('A1', 6 * 60_000)).toBe(3_600_000 - 6 * 60_000);
    expect(l.admit('A1', 3_600_000)).toBe(0);
  });
});
