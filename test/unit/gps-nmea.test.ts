import { describe, expect, it } from 'vitest';
import { receiverUtcMs, dateForTod, WEEK_ROLLOVER_MS } from '../../src/gps/gps-time.ts';
import { checkSentence, NmeaFramer, nmeaChecksum, nmeaSentence } from '../../src/gps/nmea.ts';
import { decodeSentence, parseCoord, parseDdmmyy, parseTod } from '../../src/gps/nmea-sentences.ts';

const RMC = '$GNRMC,171926.00,A,4404.14063,N,12118.85478,W,0.117,,180315,,,A*76';

describe('checksums and sentence checks', () => {
  it.each([
    ['valid u-blox RMC', RMC, 'ok'],
    ['lower-case checksum digits', `${nmeaSentence('GPGSA,A,1,,,,,,,,,,,,,,,').slice(0, -2)}1e`, 'ok'],
    ['swapped checksum digits', RMC.replace('*76', '*67'), 'badChecksum'],
    ['one changed digit', RMC.replace('4404.14063', '4404.14064'), 'badChecksum'],
    ['no checksum', RMC.slice(0, RMC.indexOf('*')), 'noChecksum'],
    ['checksum cut to one digit', RMC.slice(0, -1), 'noChecksum'],
    ['not NMEA', 'hello world', 'garbage'],
    ['bad address', nmeaSentence('G1,2,3'), 'garbage'],
    ['junk after the checksum', `${RMC}0,*4E`, 'ok'],
  ])('%s', (_name, line, want) => {
    const r = checkSentence(line);
    expect(r.ok ? 'ok' : r.why).toBe(want);
  });

  it('computes the XOR checksum', () => {
    expect(nmeaChecksum('GPGSA,A,1,,,,,,,,,,,,,,,')).toBe('1E');
    expect(nmeaSentence('GPGSA,A,1,,,,,,,,,,,,,,,')).toBe('$GPGSA,A,1,,,,,,,,,,,,,,,*1E');
  });

  it('splits talker and type, proprietary sentences too', () => {
    const r = checkSentence('$PGRMF,290,293895,160305,093802,13,5213.1439,N,02100.6511,E,A,2,0,226,2,1*11');
    expect(r.ok && r.sentence.talker).toBe('P');
    expect(r.ok && r.sentence.type).toBe('GRMF');
  });
});

describe('NmeaFramer survives what receivers send', () => {
  it.each([
    ['CRLF lines', `${RMC}\r\n${RMC}\r\n`, 2, {}],
    ['LF only', `${RMC}\n${RMC}\n`, 2, {}],
    ['NUL bytes between sentences', `\0\0${RMC}\0\0\0${RMC}\r\n`, 2, {}],
    [
      'NUL inside a sentence (cut short)',
      `$GPRMC,000346.03,A,4808\0\0\0\0      \r\n${RMC}\r\n`,
      1,
      { noChecksum: 1 },
    ],
    ['two sentences glued together', `$GPGSA,A,1,,,,,,,,,,,,,,,*1E${RMC}\r\n`, 2, {}],
    ['truncated then a new one', `$GPGGA,235952.00,0000.0000,N,000${RMC}\r\n`, 1, { noChecksum: 1 }],
    ['bad checksum counted', `${RMC.replace('*76', '*77')}\r\n`, 0, { badChecksum: 1 }],
    ['binary noise', `\xff\xfe\x01$GP\x80\x81\r\n${RMC}\r\n`, 1, { garbage: 1 }],
    ['over-long line', `$GPGSV,${'1,'.repeat(200)}*00\r\n${RMC}\r\n`, 1, { garbage: 1 }],
    ['no final line ending (flush)', RMC, 1, {}],
  ])('%s', (_name, text, count, stats) => {
    const f = new NmeaFramer();
    const out = [...f.push(Buffer.from(text, 'latin1')), ...f.flush()];
    expect(out).toHaveLength(count);
    expect(f.stats).toMatchObject(stats);
  });

  it('reassembles sentences split across chunks at any byte', () => {
    const text = `${RMC}\r\n${RMC}\r\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const f = new NmeaFramer();
      const n = f.push(text.slice(0, cut)).length + f.push(text.slice(cut)).length;
      expect(n).toBe(2);
    }
  });
});

describe('field parsing', () => {
  it.each([
    ['4404.14063', 'N', true, 44.0690105],
    ['12118.85478', 'W', false, -121.314246333],
    ['3747.0873', 'S', true, -37.784788333],
    ['00000.0000', 'E', false, 0],
    ['4404.14063', '', true, null],
    ['36000.0000', 'N', true, null],
    ['72000.0000', 'E', false, null],
    ['4460.0000', 'N', true, null],
    ['', 'N', true, null],
    ['12a4.5', 'N', true, null],
  ])('coordinate %s %s', (v, h, isLat, want) => {
    const got = parseCoord(v, h, isLat);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 8);
  });

  it.each([
    ['171926.00', 62366000],
    ['000345.03', 225030],
    ['093802', 34682000],
    ['235959.999', 86399999],
    ['246000', null],
    ['', null],
    ['12:00:00', null],
  ])('time %s', (s, want) => expect(parseTod(s)).toBe(want));

  it.each([
    ['180315', { y: 2015, m: 3, d: 18 }],
    ['220899', { y: 1999, m: 8, d: 22 }],
    ['010180', { y: 1980, m: 1, d: 1 }],
    ['320115', null],
    ['011315', null],
    ['', null],
  ])('date %s', (s, want) => expect(parseDdmmyy(s)).toEqual(want));
});

describe('week rollover', () => {
  it.each([
    // gpsd's oracle agrees on these: dates before 2017 are one 1024-week era late.
    [{ y: 2015, m: 3, d: 18 }, 62366000, '2034-11-01T17:19:26.000Z'],
    [{ y: 2005, m: 3, d: 16 }, 34682000, '2024-10-30T09:38:02.000Z'],
    [{ y: 2007, m: 4, d: 8 }, 35585802, '2026-11-22T09:53:05.802Z'],
    // A receiver of the 1999–2019 era running in 2026 reports 2006/2007.
    [{ y: 1999, m: 8, d: 22 }, 0, '2019-04-07T00:00:00.000Z'],
    [{ y: 2019, m: 2, d: 5 }, 7775000, '2019-02-05T02:09:35.000Z'],
    [{ y: 2026, m: 11, d: 24 }, 0, '2026-11-24T00:00:00.000Z'],
  ])('%j + %d ms', (date, tod, iso) => {
    expect(new Date(receiverUtcMs(date, tod)).toISOString()).toBe(iso);
  });

  it('is exactly 1024 weeks', () => expect(WEEK_ROLLOVER_MS).toBe(619315200000));

  it('rolls the date at midnight for a GGA-only epoch', () => {
    expect(dateForTod({ y: 2026, m: 12, d: 31 }, 86399000, 1000)).toEqual({ y: 2027, m: 1, d: 1 });
    expect(dateForTod({ y: 2026, m: 5, d: 14 }, 1000, 2000)).toEqual({ y: 2026, m: 5, d: 14 });
  });
});

const decode = (line: string) => {
  const r = checkSentence(line);
  if (!r.ok) throw new Error(`bad test sentence ${line}`);
  return decodeSentence(r.sentence);
};

describe('sentence decoding', () => {
  it.each(['GP', 'GN', 'GL', 'GA', 'GB', 'BD', 'GQ'])('RMC from talker %s', (talker) => {
    const r = decode(
      nmeaSentence(`${talker}RMC,120000.00,A,4404.14063,N,12118.85478,W,10.0,90.0,140526,,,D`),
    );
    expect(r).toMatchObject({
      kind: 'position',
      key: `${talker}RMC`,
      valid: true,
      quality: 'dgps',
      course: 90,
    });
    expect(r?.kind === 'position' && r.speed).toBeCloseTo(5.144, 3);
  });

  it.each([
    ['status V', 'GPRMC,235948.00,V,0000.0000,N,00000.0000,E,,,161206,,,N'],
    ['status A but mode N (NMEA 2.3)', 'GPRMC,235948.00,A,4404.1406,N,12118.8547,W,,,161206,,,N'],
    [
      'status V with a last-known position',
      'GPRMC,095255.810,V,2712.6404,S,15303.1201,E,0.00,0.00,080407,,,A',
    ],
    ['GGA quality 0 at 0,0', 'GPGGA,235952.00,0000.0000,N,00000.0000,E,0,00,0.0,,M,,M,,'],
    ['GGA empty', 'GPGGA,,,,,,0,00,,,M,,M,,'],
    ['GLL status V', 'GPGLL,,,,,,V,N'],
    ['GLL status A, mode N', 'GNGLL,4404.14066,N,12118.85481,W,171925.00,A,N'],
    ['RMC A with impossible coordinates', 'GPRMC,000416.984,A,36000.0000,N,72000.0000,E,0.0,,260120,,'],
  ])('no-fix never yields a position: %s', (_n, body) => {
    const r = decode(nmeaSentence(body));
    expect(r).toMatchObject({ kind: 'position', valid: false, lat: null, lon: null });
  });

  it('RMC NMEA 4.1 with nav status field', () => {
    const r = decode(nmeaSentence('GNRMC,091232.000,A,4813.0535,N,00824.8697,E,0.00,0.00,101015,,,A,V'));
    expect(r).toMatchObject({ valid: true, quality: 'gps', date: { y: 2015, m: 10, d: 10 } });
  });

  it.each([
    [1, 'gps'],
    [2, 'dgps'],
    [4, 'rtk'],
    [5, 'float-rtk'],
    [6, 'estimated'],
  ])('GGA quality %d → %s', (q, quality) => {
    const r = decode(nmeaSentence(`GPGGA,093802,5213.1439,N,02100.6511,E,${q},10,0.9,137.2,M,36.2,M,,`));
    expect(r).toMatchObject({ valid: true, quality, sats: 10, hdop: 0.9, alt: 137.2, fromGga: true });
  });

  it('GLL with time and mode', () => {
    const r = decode(nmeaSentence('GNGLL,4404.14066,N,12118.85481,W,171925.00,A,A'));
    expect(r).toMatchObject({ valid: true, tod: 62365000, quality: 'gps' });
  });

  it('VTG, GSA, GSV and ZDA', () => {
    expect(decode(nmeaSentence('GPVTG,226,T,222,M,010.0,N,0018.5,K,D'))).toMatchObject({
      kind: 'velocity',
      course: 226,
      valid: true,
    });
    expect(decode(nmeaSentence('GPVTG,,T,,M,,N,,K,N'))).toMatchObject({ valid: false, speed: null });
    expect(decode(nmeaSentence('GNGSA,A,3,01,11,31,14,22,32,04,25,03,,,,1.56,0.91,1.27,1'))).toEqual({
      kind: 'dop',
      fixType: 3,
      hdop: 0.91,
      used: 9,
    });
    expect(decode(nmeaSentence('GLGSV,3,1,10,66,37,078,27,67,62,349,26,68,20,296,25,75,04,018,'))).toEqual({
      kind: 'sky',
      talker: 'GL',
      inView: 10,
    });
    expect(decode(nmeaSentence('GPZDA,081411.000,26,05,2014,,'))).toMatchObject({
      kind: 'time',
      date: { y: 2014, m: 5, d: 26 },
    });
    expect(decode(nmeaSentence('GPTXT,01,01,02,u-blox ag'))).toBeNull();
  });
});
