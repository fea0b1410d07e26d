/**
 * Every real receiver log in ../shared/data/nmea through the daemon's NMEA path, held against
 * gpsd's decoded output (.chk). See gps-oracle.ts for the comparison and its documented exceptions.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeNmeaLog, fixRecord } from '../../src/gps/decoder.ts';
import { compareWithOracle, oracleTpvs } from './gps-oracle.ts';

const DIR = fileURLToPath(new URL('../../../shared/data/nmea', import.meta.url));
const have = existsSync(DIR);
if (!have) console.warn(`gps-oracle: skipped, ${DIR} (real NMEA captures with gpsd .chk files) is absent`);
const logs = have ? readdirSync(DIR).filter((f) => f.endsWith('.log') && existsSync(`${DIR}/${f}.chk`)) : [];

describe.skipIf(!have)('NMEA decode against gpsd (all captures)', () => {
  it('finds the captures', () => expect(logs.length).toBeGreaterThanOrEqual(10));

  let total = 0;
  it.each(logs)('%s', (log) => {
    const { fixes, stats } = decodeNmeaLog(readFileSync(`${DIR}/${log}`));
    const c = compareWithOracle(fixes, oracleTpvs(readFileSync(`${DIR}/${log}.chk`, 'utf8')));
    expect(c.problems).toEqual([]);
    // At most the epoch cut off by the end of the log or one splice goes unreported by gpsd.
    expect(c.silent.length).toBeLessThanOrEqual(1);
    for (const f of fixes) expect(f.lat === 0 && f.lon === 0).toBe(false);
    expect(stats.ok).toBeGreaterThan(0);
    total += c.matched;
  });

  it('agrees with gpsd on the bulk of the fixes', () => expect(total).toBeGreaterThanOrEqual(240));

  it('counts the bad checksums and garbage of the cold-boot capture', () => {
    const { stats } = decodeNmeaLog(readFileSync(`${DIR}/gp-320fw-2019-04-07-coldboot.log`));
    expect(stats.badChecksum).toBeGreaterThan(10);
    expect(stats.noChecksum + stats.garbage).toBeGreaterThan(0);
  });

  it('`alpr gps decode` prints the same fixes (same code path as the daemon)', () => {
    const log = `${DIR}/neo-m8n.log`;
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const out = execFileSync(tsx, [cli, 'gps', 'decode', log], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = decodeNmeaLog(readFileSync(log)).fixes.map(fixRecord);
    expect(printed).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(Object.keys(printed[1]!)).toEqual([
      'time',
      'lat',
      'lon',
      'alt',
      'speed',
      'course',
      'quality',
      'sats',
      'hdop',
    ]);
    expect(printed[1]).toMatchObject({ time: '2034-11-01T17:19:26.000Z', lat: 44.0690105, course: null });
  });
});
