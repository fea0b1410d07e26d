import { describe, expect, it } from 'vitest';
import type { Fix } from '../../src/domain/types.ts';
import { type GpsHealthInput, gpsLight, qualityAtLeast } from '../../src/gps/gps-health.ts';
import { gpsdQuality, parseGpsdLine, watchCommand } from '../../src/gps/gpsd-json.ts';
import { nmeaSentence } from '../../src/gps/nmea.ts';
import { type PositionInput, readPosition } from '../../src/gps/position.ts';
import { firstFixChunk, replayChunks } from '../../src/gps/replay-source.ts';
import { backoffMs } from '../../src/gps/source.ts';

const fix = (over: Partial<Fix> = {}): Fix => ({
  time: '2026-05-14T17:30:12.000Z',
  lat: 38.5,
  lon: -121.4,
  alt: 9,
  speed: 10,
  course: 90,
  quality: 'gps',
  sats: 9,
  hdop: 0.9,
  receivedAt: 100_000,
  ...over,
});

describe('GPS light', () => {
  const base: GpsHealthInput = {
    now: 101_000,
    lastDataAt: 100_900,
    linkUp: true,
    linkReason: '/dev/ttyUSB0 open',
    lastFix: fix(),
    fixLost: false,
    satellitesInView: 14,
    maxFixAgeMs: 5000,
    noDataTimeoutMs: 5000,
    minQuality: 'gps',
  };
  it.each<[string, Partial<GpsHealthInput>, string, RegExp]>([
    ['fresh fix', {}, 'green', /GPS fix \(gps, 9 satellites, HDOP 0.9\)/],
    [
      'never any data, device missing',
      { lastDataAt: null, linkUp: false, linkReason: 'cannot open /dev/ttyUSB0' },
      'red',
      /cannot open/,
    ],
    [
      'never any data, port open',
      { lastDataAt: null, lastFix: null },
      'red',
      /no data from the GPS receiver yet/,
    ],
    ['silent 6 s', { lastDataAt: 95_000 }, 'red', /no data from the GPS receiver for 6 s/],
    [
      'just started, no data yet',
      { lastDataAt: null, lastFix: null, startedAt: 97_000 },
      'amber',
      /waiting for the GPS receiver's first data/,
    ],
    [
      'just started, the port still being opened',
      {
        lastDataAt: null,
        lastFix: null,
        startedAt: 100_990,
        linkUp: false,
        linkReported: false,
        linkReason: 'GPS receiver not started',
      },
      'amber',
      /waiting for the GPS receiver's first data/,
    ],
    [
      'started longer ago than the timeout, no data yet',
      { lastDataAt: null, lastFix: null, startedAt: 95_000 },
      'red',
      /no data from the GPS receiver yet/,
    ],
    [
      'just started, device cannot be opened',
      {
        lastDataAt: null,
        lastFix: null,
        startedAt: 100_500,
        linkUp: false,
        linkReason: 'cannot open /dev/ttyUSB0',
      },
      'red',
      /cannot open/,
    ],
    [
      'bytes but no valid sentence for 6 s (a wrong baud rate)',
      { lastFix: null, noSentenceSince: 95_000, unreadableLines: 31 },
      'red',
      /no valid NMEA sentence for 6 s, 31 unreadable lines: wrong baud rate/,
    ],
    [
      'a fix, then only garbage',
      { noSentenceSince: 95_500, unreadableLines: 0 },
      'red',
      /no valid NMEA sentence for 5.5 s: wrong baud rate/,
    ],
    ['garbage for less than the timeout', { lastFix: null, noSentenceSince: 96_000 }, 'amber', /no fix yet/],
    [
      'unplugged',
      { lastDataAt: 90_000, linkUp: false, linkReason: 'GPS receiver went away' },
      'red',
      /went away/,
    ],
    ['data, no fix yet', { lastFix: null }, 'amber', /no fix yet \(14 satellites in view\)/],
    ['fix lost', { fixLost: true }, 'amber', /lost its fix/],
    ['stale fix', { now: 106_000, lastDataAt: 105_900 }, 'amber', /6 s old/],
    ['estimated', { lastFix: fix({ quality: 'estimated' }) }, 'amber', /estimated is below the required gps/],
    ['needs dgps', { minQuality: 'dgps' }, 'amber', /below the required dgps/],
    ['rtk satisfies dgps', { minQuality: 'dgps', lastFix: fix({ quality: 'rtk' }) }, 'green', /rtk/],
  ])('%s', (_n, over, light, reason) => {
    const l = gpsLight({ ...base, ...over });
    expect(l.light).toBe(light);
    expect(l.reason).toMatch(reason);
  });

  it('ranks qualities', () => {
    expect(qualityAtLeast('dgps', 'gps')).toBe(true);
    expect(qualityAtLeast('sim', 'gps')).toBe(false);
    expect(qualityAtLeast('float-rtk', 'rtk')).toBe(false);
  });
});

describe('readPosition', () => {
  const base: PositionInput = {
    atMs: 101_000,
    configured: true,
    lastDataAt: 100_900,
    lastFix: fix(),
    fixLost: false,
    maxFixAgeMs: 5000,
    noDataTimeoutMs: 5000,
    deadReckonMs: 0,
  };
  it('fresh fix with its age', () => {
    expect(readPosition(base)).toEqual({
      lat: 38.5,
      lon: -121.4,
      speed: 10,
      course: 90,
      quality: 'gps',
      fixAgeMs: 1000,
      deadReckoned: false,
    });
  });
  it.each<[string, Partial<PositionInput>, string]>([
    ['GPS off', { configured: false }, 'no-gps'],
    ['no fix yet', { lastFix: null }, 'no-fix'],
    ['fix lost', { fixLost: true }, 'no-fix'],
    ['stale', { atMs: 105_100, lastDataAt: 105_000 }, 'stale-fix'],
    ['receiver silent', { atMs: 130_000 }, 'no-gps'],
    ['silent, never a fix', { lastFix: null, lastDataAt: null }, 'no-gps'],
    ['dead reckoning off by default', { atMs: 106_000, lastDataAt: 106_000 }, 'stale-fix'],
    [
      'dead reckoning past its window',
      { atMs: 112_000, lastDataAt: 112_000, deadReckonMs: 3000 },
      'stale-fix',
    ],
  ])('%s → null position, %s', (_n, over, reason) => {
    expect(readPosition({ ...base, ...over })).toEqual({ lat: null, lon: null, reason });
  });
  it('a fix that arrived just after the capture still counts, age 0', () => {
    expect(readPosition({ ...base, atMs: 99_800 })).toMatchObject({ lat: 38.5, fixAgeMs: 0 });
  });
  it('dead reckons when enabled, flagged', () => {
    const p = readPosition({ ...base, atMs: 107_000, lastDataAt: 107_000, deadReckonMs: 3000 });
    expect(p).toMatchObject({ deadReckoned: true, fixAgeMs: 7000 });
    expect(p.lat).toBeCloseTo(38.5, 6);
    expect(p.lon !== null && p.lon > -121.4).toBe(true);
  });
  it('receiver estimates are flagged as dead-reckoned', () => {
    expect(readPosition({ ...base, lastFix: fix({ quality: 'estimated' }) })).toMatchObject({
      deadReckoned: true,
    });
  });
});

describe('replayChunks', () => {
  const e = (t: string) =>
    [
      nmeaSentence(`GPRMC,${t},A,3834.54584,N,12128.73106,W,0,,140526,,,A`),
      nmeaSentence(`GPGGA,${t},3834.54584,N,12128.73106,W,1,09,0.90,9.4,M,-30.2,M,,`),
    ].join('\r\n');
  it('one chunk per epoch, delayed by the time-of-day step', () => {
    const chunks = replayChunks(`# comment\n${e('120000.00')}\n${e('120001.00')}\n${e('120003.00')}\n`);
    expect(chunks.map((c) => c.delayMs)).toEqual([0, 1000, 2000]);
    expect(chunks[0]!.text).toContain('GPGGA,120000.00');
    expect(chunks[0]!.text).not.toContain('comment');
  });
  it('splices and untimed epochs replay at 1 Hz', () => {
    const untimed = nmeaSentence('GPRMC,,V,,,,,,,260810,1.0,E,N');
    const chunks = replayChunks(`${e('120000.00')}\n${e('130000.00')}\n${untimed}\n${untimed}\n`);
    expect(chunks.map((c) => c.delayMs)).toEqual([0, 1000, 1000, 1000]);
  });
  it('finds the first epoch with a fix (RMC status A or GGA quality > 0)', () => {
    const noFix = (t: string) =>
      [nmeaSentence(`GPRMC,${t},V,,,,,,,140526,,,N`), nmeaSentence(`GPGGA,${t},,,,,0,00,99.99,,,,,,`)].join(
        '\r\n',
      );
    const ggaOnly = (t: string) =>
      nmeaSentence(`GPGGA,${t},3834.54584,N,12128.73106,W,2,09,0.90,9.4,M,-30.2,M,,`);
    const log = [noFix('120000.00'), noFix('120001.00'), e('120002.00'), noFix('120003.00')];
    expect(firstFixChunk(replayChunks(log.join('\n')))).toBe(2);
    expect(firstFixChunk(replayChunks([noFix('120000.00'), ggaOnly('120001.00')].join('\n')))).toBe(1);
    // nothing to skip to: the whole log plays
    expect(firstFixChunk(replayChunks([noFix('120000.00'), noFix('120001.00')].join('\n')))).toBe(0);
  });
});

describe('gpsd JSON', () => {
  const sky = { hdop: 0.9, used: 7 };
  it('TPV with a 3D fix', () => {
    const m = parseGpsdLine(
      '{"class":"TPV","device":"/dev/pts/1","status":2,"mode":3,"time":"2034-11-01T17:19:26.000Z","lat":44.0690105,"lon":-121.314246333,"altHAE":1125.9,"altMSL":1147.2,"speed":0.06,"track":12.5}',
      5,
      sky,
    );
    expect(m).toEqual({
      kind: 'fix',
      fix: {
        time: '2034-11-01T17:19:26.000Z',
        lat: 44.0690105,
        lon: -121.314246333,
        alt: 1147.2,
        speed: 0.06,
        course: 12.5,
        quality: 'dgps',
        sats: 7,
        hdop: 0.9,
        receivedAt: 5,
      },
    });
  });
  it.each([
    ['{"class":"TPV","mode":1}', 'nofix'],
    ['{"class":"TPV","mode":0,"lat":0,"lon":0}', 'nofix'],
    ['{"class":"TPV","mode":2}', 'nofix'],
    ['{"class":"VERSION","release":"3.22"}', 'other'],
    ['{"class":"SKY","hdop":1.1,"satellites":[{"used":true},{"used":false}]}', 'sky'],
  ])('%s → %s', (line, kind) => expect(parseGpsdLine(line, 0, sky)?.kind).toBe(kind));
  it('ignores lines that are not JSON objects', () => {
    expect(parseGpsdLine('garbage', 0, sky)).toBeNull();
    expect(parseGpsdLine('[1,2]', 0, sky)).toBeNull();
  });
  it('SKY counts used satellites', () => {
    expect(
      parseGpsdLine('{"class":"SKY","hdop":1.1,"satellites":[{"used":true},{"used":false}]}', 0, sky),
    ).toEqual({
      kind: 'sky',
      hdop: 1.1,
      used: 1,
    });
  });
  it('maps status and builds WATCH', () => {
    expect([undefined, 1, 2, 3, 4, 5, 8].map(gpsdQuality)).toEqual([
      'gps',
      'gps',
      'dgps',
      'rtk',
      'float-rtk',
      'estimated',
      'sim',
    ]);
    expect(watchCommand()).toBe('?WATCH={"enable":true,"json":true}\n');
    expect(watchCommand('/dev/ttyACM0')).toContain('"device":"/dev/ttyACM0"');
  });
});

describe('backoff', () => {
  it('doubles from 0.5 s and caps', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffMs(a, 5000))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });
});
