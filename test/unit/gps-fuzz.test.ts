/**
 * Whatever a receiver or gpsd sends, decoding never throws and never yields a value that cannot be
 * stored or sent: a bounded, seeded fuzz of every NMEA sentence type the stage decodes, of raw
 * byte noise, and of gpsd JSON, plus the ZDA sentence that once crash-looped the unit.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { gpsSection } from '../../src/config/sections/gps.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Fix } from '../../src/domain/types.ts';
import { decodeNmeaLog, NmeaDecoder } from '../../src/gps/decoder.ts';
import type { FixEvent } from '../../src/gps/fix-state.ts';
import { parseGpsdLine } from '../../src/gps/gpsd-json.ts';
import { GpsStage } from '../../src/gps/index.ts';
import { nmeaChecksum, nmeaSentence } from '../../src/gps/nmea.ts';
import type { GpsSink, GpsSource } from '../../src/gps/source.ts';
import { junk, NASTY_FIELDS, nastyField, type Rng, rng } from '../support/prng.ts';

const CASES = 1500;
const log = pino({ level: 'silent' });

/** The sentence that killed the daemon: a 7-digit year with a valid checksum. */
const DEADLY_ZDA = '$GPZDA,120000.00,01,01,3000000,00,00*56';

const TEMPLATES: Record<string, string[]> = {
  RMC: ['123519.00', 'A', '4807.038', 'N', '01131.000', 'E', '022.4', '084.4', '230394', '003.1', 'W', 'A'],
  GGA: ['123519.00', '4807.038', 'N', '01131.000', 'E', '1', '08', '0.9', '545.4', 'M', '46.9', 'M', '', ''],
  GLL: ['4807.038', 'N', '01131.000', 'E', '123519.00', 'A', 'A'],
  VTG: ['054.7', 'T', '034.4', 'M', '005.5', 'N', '010.2', 'K', 'A'],
  GSA: ['A', '3', '04', '05', '', '09', '12', '', '', '24', '', '', '', '', '2.5', '1.3', '2.1'],
  GSV: ['3', '1', '11', '03', '03', '111', '00', '04', '15', '270', '00'],
  ZDA: ['123519.00', '23', '03', '2026', '00', '00'],
};
const TYPES = Object.keys(TEMPLATES);
const TALKERS = ['GP', 'GN', 'GL', 'GA', 'GB', 'BD'];

/** A sentence with a valid checksum whose fields are partly replaced by nasty values. */
function fuzzSentence(r: Rng, tod: string): string {
  const type = r.pick(TYPES);
  const fields = TEMPLATES[type]!.map((f) => (r.bool(0.3) ? nastyField(r) : f));
  const todAt = type === 'GLL' ? 4 : type === 'VTG' || type === 'GSA' || type === 'GSV' ? -1 : 0;
  if (todAt >= 0 && r.bool(0.7)) fields[todAt] = tod;
  if (r.bool(0.1)) fields.push(...Array.from({ length: r.int(1, 5) }, () => nastyField(r)));
  if (r.bool(0.1)) fields.length = r.int(0, fields.length);
  return nmeaSentence(`${r.pick(TALKERS)}${type},${fields.join(',')}`);
}

/** A log of sentences over a few epochs, with line noise, split into arbitrary chunks. */
function fuzzChunks(r: Rng): string[] {
  const lines: string[] = [];
  let sec = r.int(0, 86_399);
  for (let i = r.int(1, 40); i > 0; i--) {
    if (r.bool(0.2)) sec = (sec + 1) % 86_400;
    const hh = String(Math.floor(sec / 3600)).padStart(2, '0');
    const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, '0');
    const ss = String(sec % 60).padStart(2, '0');
    lines.push(fuzzSentence(r, `${hh}${mm}${ss}.00`));
    if (r.bool(0.05)) lines.push(junk(r, 300));
    if (r.bool(0.05)) lines.push(DEADLY_ZDA);
  }
  const text = lines.join(r.bool(0.9) ? '\r\n' : '\n');
  const chunks: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = r.int(1, 200);
    chunks.push(text.slice(i, i + n));
    i += n;
  }
  return chunks;
}

const inRange = (v: number | null, lo: number, hi: number) =>
  v === null || (Number.isFinite(v) && v >= lo && v <= hi);

/** What any fix must satisfy to be stored, sent and shown. Returns the broken rule, or null. */
function fixProblem(f: Fix): string | null {
  if (!inRange(f.lat, -90, 90) || !inRange(f.lon, -180, 180)) return 'position';
  if (f.time !== null && new Date(Date.parse(f.time)).toISOString() !== new Date(f.time).toISOString())
    return 'time';
  if (f.time !== null && !Number.isFinite(Date.parse(f.time))) return 'time';
  if (!inRange(f.speed, 0, 515)) return 'speed';
  if (!inRange(f.course, 0, 360)) return 'course';
  if (!inRange(f.alt, -500, 20_000)) return 'alt';
  if (!inRange(f.hdop, 0, 100)) return 'hdop';
  if (!inRange(f.sats, 0, 255 * TALKERS.length)) return 'sats';
  return null;
}

function eventProblem(e: FixEvent): string | null {
  if (e.type === 'fix') return fixProblem(e.fix);
  return e.time === null || Number.isFinite(Date.parse(e.time)) ? null : 'nofix time';
}

describe('NMEA decoding is total', () => {
  it('the deadly ZDA has a valid checksum (it reaches the decoder)', () => {
    const body = DEADLY_ZDA.slice(1, DEADLY_ZDA.indexOf('*'));
    expect(nmeaChecksum(body)).toBe('56');
  });

  it('a ZDA with a 7-digit year is rejected and counted; the fixes around it still come', () => {
    const gga = (t: string) => nmeaSentence(`GPGGA,${t},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,`);
    const text = [DEADLY_ZDA, gga('120000.00'), gga('120001.00'), gga('120002.00'), ''].join('\r\n');
    const { fixes, stats } = decodeNmeaLog(text);
    expect(fixes).toHaveLength(3);
    // Without a believable date the fixes carry no time rather than a made-up one.
    expect(fixes.map((f) => f.time)).toEqual([null, null, null]);
    expect(fixes[0]!.lat).toBeCloseTo(48.1173, 4);
    expect(stats.rejected).toBe(1);
  });

  it('a believable ZDA still dates the fixes after it', () => {
    const zda = nmeaSentence('GPZDA,120000.00,14,05,2026,00,00');
    const gga = nmeaSentence('GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,');
    const { fixes, stats } = decodeNmeaLog(`${zda}\r\n${gga}\r\n`);
    expect(fixes.map((f) => f.time)).toEqual(['2026-05-14T12:00:00.000Z']);
    expect(stats.rejected).toBe(0);
  });

  it.each(['3000000', '275761', '0', '1979', '2201', '2026.5', '-2026'])(
    'ZDA year %s gives no date and is counted',
    (year) => {
      const zda = nmeaSentence(`GPZDA,120000.00,01,01,${year},00,00`);
      const gga = nmeaSentence('GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,');
      const { fixes, stats } = decodeNmeaLog(`${zda}\r\n${gga}\r\n`);
      expect(fixes.map((f) => f.time)).toEqual([null]);
      expect(stats.rejected).toBe(1);
    },
  );

  it.each([
    ['RMC speed', 'GPRMC,120000.00,A,4807.038,N,01131.000,E,99999999999,084.4,140526,,,A', 'speed'],
    ['RMC course', 'GPRMC,120000.00,A,4807.038,N,01131.000,E,1.0,720,140526,,,A', 'course'],
    ['GGA altitude', 'GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,-99999,M,46.9,M,,', 'alt'],
    ['GGA hdop', 'GPGGA,120000.00,4807.038,N,01131.000,E,1,08,1000,545.4,M,46.9,M,,', 'hdop'],
  ])('%s out of range is dropped from the fix and counted', (_name, body, field) => {
    const { fixes, stats } = decodeNmeaLog(`${nmeaSentence(body)}\r\n`);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]![field as keyof Fix]).toBeNull();
    expect(stats.rejected).toBe(1);
  });

  it(`${CASES} seeded logs of every sentence type with extreme fields: no throw, every fix sane`, () => {
    let fixes = 0;
    let rejected = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const reasons: string[] = [];
      const d = new NmeaDecoder((why) => reasons.push(why));
      const events: FixEvent[] = [];
      for (const c of fuzzChunks(r)) events.push(...d.push(Buffer.from(c, 'latin1'), 1_700_000_000_000));
      events.push(...d.flush(1_700_000_000_000));
      for (const e of events) {
        const problem = eventProblem(e);
        if (problem) throw new Error(`seed ${seed}: ${problem} in ${JSON.stringify(e)}`);
      }
      const inView = d.satellitesInView();
      expect(inView === null || Number.isFinite(inView), `seed ${seed}`).toBe(true);
      // No decoder step failed with a throw: every refusal was an out-of-range value.
      expect(
        reasons.filter((w) => !w.includes('out of range')),
        `seed ${seed}`,
      ).toEqual([]);
      fixes += events.filter((e) => e.type === 'fix').length;
      rejected += d.stats.rejected;
    }
    // The fuzz reached both sides: fixes decoded and values refused.
    expect(fixes).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });

  it('raw byte noise never throws', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const d = new NmeaDecoder();
      const bytes = Buffer.alloc(r.int(0, 4096));
      for (let i = 0; i < bytes.length; i++)
        bytes[i] = r.bool(0.05) ? r.pick([0x24, 0x2a, 0x2c, 0x0d, 0x0a]) : r.int(0, 255);
      const events = [...d.push(bytes, 0), ...d.flush(0)];
      for (const e of events) expect(eventProblem(e), `seed ${seed}`).toBeNull();
    }
  });
});

/** A random JSON value, nested a little: what a broken or hostile gpsd could send. */
function jsonValue(r: Rng, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 3 : 6)) {
    case 0:
      return null;
    case 1:
      return (r.next() - 0.5) * 10 ** r.int(0, 300);
    case 2:
      return r.pick(NASTY_FIELDS);
    case 3:
      return r.pick([true, false, 0, -1, 1, 2, 3, 1e308, -1e308]);
    case 4:
      return Array.from({ length: r.int(0, 4) }, () => jsonValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (const k of ['used', 'PRN', 'lat', 'lon', 'time', 'mode'].filter(() => r.bool(0.4)))
        o[k] = jsonValue(r, depth + 1);
      return o;
    }
  }
}

const GPSD_KEYS = [
  'lat',
  'lon',
  'mode',
  'time',
  'alt',
  'altMSL',
  'speed',
  'track',
  'status',
  'hdop',
  'uSat',
  'satellites',
];

describe('gpsd JSON decoding is total', () => {
  it('a SKY whose satellites array holds null does not throw', () => {
    const m = parseGpsdLine('{"class":"SKY","satellites":[null,{"used":true},7]}', 0, {
      hdop: null,
      used: null,
    });
    expect(m).toEqual({ kind: 'sky', hdop: null, used: 1 });
  });

  it('a TPV with a time no Date holds keeps the fix without a time', () => {
    const line =
      '{"class":"TPV","mode":2,"lat":48.1,"lon":11.5,"time":"3000000-01-01T12:00:00Z","speed":1e300}';
    const m = parseGpsdLine(line, 0, { hdop: null, used: null });
    expect(m).toMatchObject({ kind: 'fix', fix: { time: null, speed: null, lat: 48.1 } });
  });

  it(`${CASES} seeded gpsd lines: no throw, every fix sane`, () => {
    let fixes = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const o: Record<string, unknown> = { class: r.pick(['TPV', 'SKY', 'VERSION', 'WATCH', 7, null]) };
      for (const k of GPSD_KEYS) if (r.bool(0.6)) o[k] = jsonValue(r);
      // Most lines carry a plausible position, so the fix path is exercised, not just refusals.
      if (r.bool(0.7)) o.class = 'TPV';
      if (r.bool(0.8)) o.mode = r.pick([0, 1, 2, 3, 3]);
      if (r.bool(0.8)) o.lat = (r.next() - 0.5) * 200;
      if (r.bool(0.8)) o.lon = (r.next() - 0.5) * 400;
      let line = JSON.stringify(o);
      if (r.bool(0.1)) line = line.slice(0, r.int(0, line.length));
      if (r.bool(0.05)) line = junk(r, 200);
      const m = parseGpsdLine(line, 1_700_000_000_000, { hdop: null, used: null });
      if (m?.kind === 'fix') {
        fixes++;
        const problem = fixProblem(m.fix);
        if (problem) throw new Error(`seed ${seed}: ${problem} in ${line}`);
      }
      if (m?.kind === 'sky') {
        expect(inRange(m.used, 0, 255), `seed ${seed}`).toBe(true);
        expect(inRange(m.hdop, 0, 100), `seed ${seed}`).toBe(true);
      }
    }
    expect(fixes).toBeGreaterThan(50);
  });
});

/** A source driven by the test: it hands whatever it is given straight to the stage's sink. */
class ScriptedSource implements GpsSource {
  readonly description = 'scripted';
  sink: GpsSink | null = null;
  async start(sink: GpsSink): Promise<void> {
    this.sink = sink;
    sink.link(true, 'scripted');
  }
  async stop(): Promise<void> {}
}

describe('the GPS stage survives its input', () => {
  it('after the deadly ZDA the stage still decodes fixes, counts the refusal and keeps its light', async () => {
    const bus = new Bus();
    const fixes: Fix[] = [];
    bus.on('fix', (f) => fixes.push(f));
    const source = new ScriptedSource();
    const stage = new GpsStage({
      bus,
      log,
      config: gpsSection.parse({ type: 'serial', path: '/dev/null' }),
      source,
    });
    await stage.start();
    const gga = (t: string) => nmeaSentence(`GPGGA,${t},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,`);
    const send = (s: string) => source.sink!.bytes(Buffer.from(`${s}\r\n`, 'latin1'), Date.now());
    send(DEADLY_ZDA);
    for (const t of ['120000.00', '120001.00', '120002.00']) expect(() => send(gga(t))).not.toThrow();
    expect(fixes).toHaveLength(3);
    expect(stage.rejects.total).toBe(1);
    expect(stage.status().sentences.rejected).toBe(1);
    expect(stage.status().light.light).not.toBe('red');
    await stage.stop();
  });

  it('a throwing bus listener on fixes is counted, not thrown into the source', async () => {
    const bus = new Bus(() => {
      throw new Error('the bus error handler itself fails');
    });
    bus.on('fix', () => {
      throw new Error('listener fails');
    });
    const source = new ScriptedSource();
    const stage = new GpsStage({
      bus,
      log,
      config: gpsSection.parse({ type: 'serial', path: '/dev/null' }),
      source,
    });
    await stage.start();
    const fix: Fix = {
      time: null,
      lat: 1,
      lon: 2,
      alt: null,
      speed: null,
      course: null,
      quality: 'gps',
      sats: null,
      hdop: null,
      receivedAt: Date.now(),
    };
    expect(() => source.sink!.fix(fix)).not.toThrow();
    expect(stage.rejects.total).toBe(1);
    await stage.stop();
  });
});
