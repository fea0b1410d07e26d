import { describe, expect, it } from 'vitest';
import { decodeNmeaLog, NmeaDecoder } from '../../src/gps/decoder.ts';
import { nmeaSentence } from '../../src/gps/nmea.ts';

const lines = (...bodies: string[]) => bodies.map((b) => `${nmeaSentence(b)}\r\n`).join('');

function epoch(t: string, opts: { fix?: boolean; lat?: string } = {}): string {
  const fix = opts.fix ?? true;
  const lat = opts.lat ?? '3834.54584';
  return fix
    ? lines(
        `GPRMC,${t},A,${lat},N,12128.73106,W,10.000,90.0,140526,,,A`,
        'GPVTG,90.0,T,,M,10.000,N,18.520,K,A',
        `GPGGA,${t},${lat},N,12128.73106,W,1,09,0.90,9.4,M,-30.2,M,,`,
        'GPGSA,A,3,02,05,07,09,13,15,18,20,27,,,,1.60,0.90,1.20',
      )
    : lines(
        `GPRMC,${t},V,0000.0000,N,00000.0000,E,,,140526,,,N`,
        `GPGGA,${t},0000.0000,N,00000.0000,E,0,00,99.99,,,,,,`,
        'GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99',
      );
}

describe('fix state machine', () => {
  it('one fix per epoch, with every field', () => {
    const { fixes } = decodeNmeaLog(epoch('173012.00') + epoch('173013.00'));
    expect(fixes).toHaveLength(2);
    expect(fixes[0]).toMatchObject({
      time: '2026-05-14T17:30:12.000Z',
      alt: 9.4,
      course: 90,
      quality: 'gps',
      sats: 9,
      hdop: 0.9,
    });
    expect(fixes[0]!.lat).toBeCloseTo(38.575764, 6);
    expect(fixes[0]!.lon).toBeCloseTo(-121.478851, 6);
    expect(fixes[0]!.speed).toBeCloseTo(5.144, 3);
  });

  it('a no-fix stretch yields nothing, never 0,0', () => {
    const { fixes } = decodeNmeaLog(epoch('173000.00', { fix: false }) + epoch('173001.00', { fix: false }));
    expect(fixes).toEqual([]);
  });

  it('reports no-fix epochs as events, and a lost fix after a good one', () => {
    const d = new NmeaDecoder();
    const ev = [
      ...d.push(epoch('173010.00') + epoch('173011.00', { fix: false }) + epoch('173012.00'), 5),
      ...d.flush(5),
    ];
    expect(ev.map((e) => e.type)).toEqual(['fix', 'nofix', 'fix']);
    const nofix = ev[1]!;
    expect(nofix.type === 'nofix' && nofix.time).toBe('2026-05-14T17:30:11.000Z');
  });

  it('an epoch where RMC says fix but GGA says none is not a fix', () => {
    const text = lines(
      'GPRMC,173012.00,A,3834.54584,N,12128.73106,W,10.000,90.0,140526,,,A',
      'GPGGA,173012.00,,,,,0,00,99.99,,,,,,',
    );
    expect(decodeNmeaLog(text).fixes).toEqual([]);
  });

  it('learns the cycle ender and emits without waiting for the next epoch', () => {
    const d = new NmeaDecoder();
    expect(d.push(epoch('173010.00'), 1)).toEqual([]);
    // Epoch 2 starts: epoch 1 is closed by the new time, and GGA is learnt as the ender.
    const second = d.push(epoch('173011.00'), 2);
    expect(second).toHaveLength(2);
    expect(second.map((e) => e.type === 'fix' && e.fix.time)).toEqual([
      '2026-05-14T17:30:10.000Z',
      '2026-05-14T17:30:11.000Z',
    ]);
  });

  it('arrival time is the fix receivedAt', () => {
    const d = new NmeaDecoder();
    d.push(epoch('173010.00'), 1000);
    const [e1, e2] = d.push(epoch('173011.00'), 2000);
    expect(e1?.type === 'fix' && e1.fix.receivedAt).toBe(2000);
    expect(e2?.type === 'fix' && e2.fix.receivedAt).toBe(2000);
  });

  it('without a date yet, a fix has time null', () => {
    const { fixes } = decodeNmeaLog(lines('GPGGA,093802,5213.1439,N,02100.6511,E,1,10,0.9,137.2,M,36.2,M,,'));
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ time: null, quality: 'gps', sats: 10 });
  });

  it('GGA after midnight takes the next day', () => {
    const text =
      lines('GPRMC,235959.00,A,3834.54584,N,12128.73106,W,0,,311226,,,A') +
      lines('GPGGA,000000.00,3834.54584,N,12128.73106,W,1,09,0.90,9.4,M,-30.2,M,,');
    expect(decodeNmeaLog(text).fixes.map((f) => f.time)).toEqual([
      '2026-12-31T23:59:59.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it('week-rollover receivers are moved into this era', () => {
    const text = lines('GPRMC,000000.00,A,3834.54584,N,12128.73106,W,0,,240307,,,A');
    expect(decodeNmeaLog(text).fixes[0]?.time).toBe('2026-11-07T00:00:00.000Z');
  });

  it('does not trust the date of a no-fix RMC (cold-boot receivers send garbage dates)', () => {
    const text =
      lines('GPRMC,235948.00,V,0000.0000,N,00000.0000,E,,,161206,,,N') +
      lines('GPGGA,000001.00,3834.54584,N,12128.73106,W,1,09,0.90,9.4,M,-30.2,M,,');
    expect(decodeNmeaLog(text).fixes[0]).toMatchObject({ time: null, quality: 'gps' });
  });

  it('sums satellites of GP and GL GGAs in one epoch', () => {
    const text = lines(
      'GPGGA,020935.000,4404.1351,N,12118.8556,W,1,08,0.9,1123.9,M,-19.6,M,,0000',
      'GLGGA,020935.000,4404.1351,N,12118.8556,W,1,02,0.9,1123.9,M,-19.6,M,,0000',
      'GNRMC,020935.000,A,4404.1351,N,12118.8556,W,0.04,359.11,050219,,,A',
    );
    expect(decodeNmeaLog(text).fixes[0]).toMatchObject({ sats: 10, time: '2019-02-05T02:09:35.000Z' });
  });

  it('receiver dead reckoning is quality estimated', () => {
    const text = lines('GPRMC,173012.00,A,3834.54584,N,12128.73106,W,10.0,90.0,140526,,,E');
    expect(decodeNmeaLog(text).fixes[0]?.quality).toBe('estimated');
  });

  it('untimed no-fix epochs are separated by repeated sentences', () => {
    const d = new NmeaDecoder();
    const one = lines('GPGLL,,,,,,V,N', 'GPRMC,,V,,,,,,,260810,1.0,E,N', 'GPGGA,,,,,,0,00,,,M,,M,,');
    const ev = [...d.push(one + one + one, 0), ...d.flush(0)];
    expect(ev.map((e) => e.type)).toEqual(['nofix', 'nofix', 'nofix']);
  });

  it('survives garbage between epochs and counts it', () => {
    const text = `${epoch('173010.00')}\0\0\xff$GPRMC,173011.00,A,38${epoch('173012.00')}`;
    const { fixes, stats } = decodeNmeaLog(Buffer.from(text, 'latin1'));
    expect(fixes.map((f) => f.time)).toEqual(['2026-05-14T17:30:10.000Z', '2026-05-14T17:30:12.000Z']);
    expect(stats.noChecksum + stats.garbage).toBeGreaterThan(0);
  });
});
