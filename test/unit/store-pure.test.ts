import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DAY_MS, diskState, retentionRules } from '../../src/store/retention.ts';
import { aesSealer, parseKey, plainSealer } from '../../src/store/seal.ts';

describe('parseKey', () => {
  const key = randomBytes(32);
  it.each([
    ['raw 32 bytes', key, true],
    ['hex', Buffer.from(`${key.toString('hex')}\n`), true],
    ['base64', Buffer.from(key.toString('base64')), true],
    ['31 raw bytes', randomBytes(31), false],
    ['short hex', Buffer.from('abcd'), false],
    ['base64 of 16 bytes', Buffer.from(randomBytes(16).toString('base64')), false],
  ])('%s', (_name, file, ok) => {
    if (ok) expect(parseKey(file)).toEqual(key);
    else expect(() => parseKey(file)).toThrow(/store key must be/);
  });
});

describe('aesSealer', () => {
  const s = aesSealer(randomBytes(32));
  const data = Buffer.from('{"plate":"ABC123"}');

  it('round-trips and never shows the plaintext', () => {
    const blob = s.seal(data, 'reads:1:body');
    expect(blob.includes('ABC123')).toBe(false);
    expect(blob[0]).toBe(1);
    expect(s.open(blob, 'reads:1:body')).toEqual(data);
    expect(s.seal(data, 'reads:1:body')).not.toEqual(blob); // random IV
  });

  it.each([
    ['another row (AAD)', (b: Buffer) => b, 'reads:2:body'],
    [
      'a flipped ciphertext bit',
      (b: Buffer) => Buffer.concat([b.subarray(0, -1), Buffer.of(b.at(-1)! ^ 1)]),
      'reads:1:body',
    ],
    [
      'a flipped tag bit',
      (b: Buffer) => Buffer.concat([b.subarray(0, 13), Buffer.of(b[13]! ^ 1), b.subarray(14)]),
      'reads:1:body',
    ],
  ])('refuses %s', (_n, mutate, aad) => {
    const blob = mutate(s.seal(data, 'reads:1:body'));
    expect(() => s.open(blob, aad)).toThrow(/fails authentication/);
  });

  it('refuses plaintext rows, and a key of the wrong size', () => {
    expect(() => s.open(plainSealer().seal(data, 'x'), 'x')).toThrow(/not encrypted/);
    expect(() => plainSealer().open(s.seal(data, 'x'), 'x')).toThrow(/no key/);
    expect(() => aesSealer(randomBytes(16))).toThrow(/32 bytes/);
  });

  it('tags plates by their normalized text, keyed', () => {
    expect(s.plateTag('abc-123')).toEqual(s.plateTag('ABC123'));
    expect(s.plateTag('ABC123')).not.toEqual(s.plateTag('ABC124'));
    expect(aesSealer(randomBytes(32)).plateTag('ABC123')).not.toEqual(s.plateTag('ABC123'));
    expect(s.plateTag('ABC123').includes('ABC123')).toBe(false);
  });
});

describe('retentionRules', () => {
  const now = 1_800_000_000_000;
  it.each([
    [7, now - 7 * DAY_MS],
    [1, now - DAY_MS],
    [730, now - 730 * DAY_MS],
  ])('retention %i days', (days, before) => {
    const [ret, hard] = retentionRules(now, days);
    expect(ret).toEqual({ reason: 'retention', before, includeUnsynced: false });
    expect(hard).toEqual({ reason: 'hard-max', before: now - 730 * DAY_MS, includeUnsynced: true });
  });
  it.each([0, 731, 1.5, -3])('refuses %s days', (d) => {
    expect(() => retentionRules(now, d)).toThrow(RangeError);
  });
});

describe('diskState', () => {
  const MB = 1024 * 1024;
  it.each([
    [1000 * MB, 512, 'ok'],
    [512 * MB, 512, 'ok'],
    [300 * MB, 512, 'low'],
    [256 * MB, 512, 'low'],
    [100 * MB, 512, 'critical'],
    [0, 0, 'ok'],
  ] as const)('%d bytes free, mark %d MB → %s', (free, mark, want) => {
    expect(diskState(free, mark)).toBe(want);
  });
});
