import { describe, expect, it } from 'vitest';
import { UnheardTopics } from '../../src/sync/unheard.ts';

describe('UnheardTopics: kinds of record the broker has no receiver for', () => {
  it('holds a topic, lets one probe through per retry period, and releases it once heard', () => {
    const u = new UnheardTopics(1000);
    expect(u.mayPublish('alpr/pd/u1/read', 0)).toBe(true);
    expect(u.unheard('alpr/pd/u1/read', 0)).toBe(true);
    expect(u.unheard('alpr/pd/u1/read', 10)).toBe(false); // already held: no second report
    expect(u.mayPublish('alpr/pd/u1/read', 500)).toBe(false);
    expect(u.mayPublish('alpr/pd/u1/hit', 500)).toBe(true); // other kinds go on
    expect(u.mayPublish('alpr/pd/u1/read', 1010)).toBe(true); // the probe
    expect(u.mayPublish('alpr/pd/u1/read', 1020)).toBe(false); // one per period
    expect(u.mayPublish('alpr/pd/u1/read', 2010)).toBe(true);
    expect(u.heard('alpr/pd/u1/read')).toBe(true);
    expect(u.heard('alpr/pd/u1/read')).toBe(false);
    expect(u.mayPublish('alpr/pd/u1/read', 2011)).toBe(true);
    expect(u.mayPublish('alpr/pd/u1/read', 2012)).toBe(true);
  });

  it('names the held kinds once each, sorted', () => {
    const u = new UnheardTopics(1000);
    u.unheard('alpr/pd/u1/read', 0);
    u.unheard('alpr/pd/u1/audit', 0);
    u.unheard('alpr/pd/u2/read', 0);
    expect(u.kinds()).toEqual(['audit', 'read']);
    expect(u.size).toBe(3);
    u.heard('alpr/pd/u1/audit');
    expect(u.kinds()).toEqual(['read']);
  });
});
