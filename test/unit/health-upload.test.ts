import { describe, expect, it } from 'vitest';
import { formatStatus, isStatusView } from '../../src/health/format.ts';
import type { Lights } from '../../src/health/lights.ts';
import {
  clockTime,
  formatAge,
  formatUpload,
  isUploadBody,
  type UploadBody,
  uploadBody,
} from '../../src/health/upload.ts';

const NOW = Date.UTC(2026, 10, 24, 14, 5, 11);

const body = (over: Partial<UploadBody>): UploadBody => ({
  depth: 12,
  lastAckedAt: '2026-11-24T14:02:11.000Z',
  lastAckedAgeS: 180,
  oldestPendingAgeS: null,
  ...over,
});

describe('upload section of the health body (pure)', () => {
  it.each([
    [
      { depth: 12, lastAckedAt: NOW - 180_000 },
      { depth: 12, lastAckedAt: '2026-11-24T14:02:11.000Z', lastAckedAgeS: 180, oldestPendingAgeS: null },
    ],
    [
      { depth: 0, lastAckedAt: null },
      { depth: 0, lastAckedAt: null, lastAckedAgeS: null, oldestPendingAgeS: null },
    ],
    [
      { depth: 3, lastAckedAt: null, oldestPendingAt: NOW - 7_200_000 },
      { depth: 3, lastAckedAt: null, lastAckedAgeS: null, oldestPendingAgeS: 7200 },
    ],
    // An empty queue has no oldest message, whatever the store says.
    [
      { depth: 0, lastAckedAt: NOW, oldestPendingAt: NOW - 5000 },
      { depth: 0, lastAckedAt: '2026-11-24T14:05:11.000Z', lastAckedAgeS: 0, oldestPendingAgeS: null },
    ],
    // A clock stepped back (GPS correction) never shows a negative age.
    [
      { depth: 1, lastAckedAt: NOW + 4000 },
      { depth: 1, lastAckedAt: '2026-11-24T14:05:15.000Z', lastAckedAgeS: 0, oldestPendingAgeS: null },
    ],
  ])('%j → %j', (info, want) => {
    expect(uploadBody(info, NOW)).toEqual(want);
  });

  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [60, '1 min'],
    [180, '3 min'],
    [7199, '119 min'],
    [7200, '2 h'],
    [47 * 3600, '47 h'],
    [3 * 86_400, '3 days'],
  ])('age %d s → %s', (s, want) => {
    expect(formatAge(s)).toBe(want);
  });

  it.each([
    ['2026-11-24T14:02:11.000Z', 180, 'UTC', '14:02:11'],
    ['2026-11-24T14:02:11.000Z', 180, 'Europe/Paris', '15:02:11'],
    ['2026-11-22T04:02:11.000Z', 2 * 86_400, 'UTC', '2026-11-22 04:02:11'],
    ['2026-11-24T00:00:05.000Z', null, 'UTC', '2026-11-24 00:00:05'],
  ])('clock time of %s (age %s) in %s → %s', (iso, age, tz, want) => {
    expect(clockTime(iso, age, tz)).toBe(want);
  });

  it.each([
    [body({}), 'upload: 12 queued, last read acknowledged 14:02:11 (3 min ago)'],
    [
      body({ depth: 0, lastAckedAt: null, lastAckedAgeS: null }),
      'upload: 0 queued, last read acknowledged never',
    ],
    [
      body({ oldestPendingAgeS: 9000 }),
      'upload: 12 queued (oldest 2 h), last read acknowledged 14:02:11 (3 min ago)',
    ],
    [
      body({ lastAckedAt: '2026-11-20T09:00:00.000Z', lastAckedAgeS: 4 * 86_400 + 3600 }),
      'upload: 12 queued, last read acknowledged 2026-11-20 09:00:00 (4 days ago)',
    ],
  ])('%j → %s', (u, want) => {
    expect(formatUpload(u, { timeZone: 'UTC' })).toBe(want);
  });

  it.each([
    [body({}), true],
    [body({ lastAckedAt: null, lastAckedAgeS: null }), true],
    [null, false],
    [{ depth: '12' }, false],
    [{ depth: 1, lastAckedAt: 5, lastAckedAgeS: 1 }, false],
  ])('isUploadBody(%j) → %s', (x, want) => {
    expect(isUploadBody(x)).toBe(want);
  });
});

describe('alpr status text with the upload line', () => {
  const green = { light: 'green' as const, reasons: ['ok'] };
  const lights: Lights = { cameras: green, server: green, gps: green, system: green };

  it('prints it after the lights, before the versions', () => {
    const text = formatStatus(
      { status: 'green', lights, upload: body({}), versions: { software: '1.2.3' } },
      { color: false, timeZone: 'UTC' },
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-2)).toBe('upload: 12 queued, last read acknowledged 14:02:11 (3 min ago)');
    expect(lines.at(-1)).toBe('versions: software 1.2.3');
  });

  it('prints no upload line without a server link or from an older daemon', () => {
    for (const upload of [null, undefined, { nonsense: true }]) {
      const view = { status: 'green' as const, lights, upload };
      expect(isStatusView(view)).toBe(true);
      expect(formatStatus(view, { color: false })).not.toContain('upload:');
    }
  });
});
