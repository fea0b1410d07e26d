/**
 * Field decoding of the NMEA sentences the GPS stage uses (pure): RMC, GGA, GLL, VTG, GSA, GSV,
 * ZDA from any talker (GP, GN, GL, GA, GB, BD…), NMEA 2.3 to 4.11. A field that is empty or out of
 * range decodes to null; a no-fix sentence decodes with `valid: false`, and its position (often
 * 0,0 or last-known) is never returned. Every function here is total: whatever a receiver sends
 * (a 7-digit year, a speed of 1e30 knots), decoding gives a report or null, never a throw, and
 * nothing downstream sees a number it cannot turn into a date or store.
 */
import type { FixQuality } from '../domain/types.ts';
import type { Sentence } from './nmea.ts';

export interface YMD {
  y: number;
  m: number;
  d: number;
}

export interface PositionReport {
  kind: 'position';
  /** `RMC`, `GGA` or `GLL` with its talker, e.g. `GNRMC`. */
  key: string;
  /** Receiver UTC time of day in ms, or null when the field is empty. */
  tod: number | null;
  valid: boolean;
  lat: number | null;
  lon: number | null;
  /** GGA's quality, or RMC/GLL's mode indicator, or null when the sentence has neither. */
  quality: FixQuality | null;
  /** True for GGA, whose quality is authoritative over a mode letter. */
  fromGga: boolean;
  date: YMD | null;
  speed: number | null;
  course: number | null;
  alt: number | null;
  sats: number | null;
  hdop: number | null;
  /** Fields present but out of range (decoded as null), for the stage's rejection count. */
  bad?: string[];
}

export interface VelocityReport {
  kind: 'velocity';
  valid: boolean;
  speed: number | null;
  course: number | null;
  bad?: string[];
}

export interface DopReport {
  kind: 'dop';
  /** 1 = no fix, 2 = 2D, 3 = 3D. */
  fixType: number | null;
  hdop: number | null;
  used: number;
  bad?: string[];
}

export interface SkyReport {
  kind: 'sky';
  talker: string;
  inView: number | null;
  bad?: string[];
}

export interface TimeReport {
  kind: 'time';
  key: string;
  tod: number | null;
  date: YMD | null;
  bad?: string[];
}

export type Report = PositionReport | VelocityReport | DopReport | SkyReport | TimeReport;

const KNOTS_TO_MS = 1852 / 3600;

function num(s: string | undefined): number | null {
  if (s === undefined || s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return null;
  return Number(s);
}

/**
 * Physical bounds of what a car's receiver can truly report. Beyond them the field is noise (a
 * glitch, a fuzzer, a reset mid-sentence) and is dropped rather than stored or sent upstream.
 */
export const LIMITS = {
  /** m/s: well above any car, below a receiver's COCOM cut-off (515 m/s). */
  speed: [0, 515],
  course: [0, 360],
  /** m: the Dead Sea shore to an airliner's ceiling. */
  alt: [-500, 20_000],
  hdop: [0, 100],
  sats: [0, 255],
  fixType: [1, 3],
  /** Receiver years: GPS began in 1980; past 2200 no receiver of ours is alive. */
  year: [1980, 2200],
} as const satisfies Record<string, readonly [number, number]>;

/** A number field within `LIMITS[name]`; out of range → null and the field named in `bad`. */
function ranged(s: string | undefined, name: keyof typeof LIMITS, bad: string[]): number | null {
  return inRange(num(s), name, bad);
}

function inRange(v: number | null, name: keyof typeof LIMITS, bad: string[]): number | null {
  if (v === null) return null;
  const [lo, hi] = LIMITS[name];
  if (Number.isFinite(v) && v >= lo && v <= hi) return v;
  bad.push(name);
  return null;
}

/** Adds `bad` to a report only when a field was out of range (keeps reports small and equal). */
function withBad<T extends object>(r: T, bad: string[]): T {
  return bad.length > 0 ? { ...r, bad } : r;
}

/** `hhmmss.sss` → ms of the day, or null. */
export function parseTod(s: string | undefined): number | null {
  const m = /^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$/.exec(s ?? '');
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const sec = Number(m[3]);
  if (h > 23 || min > 59 || sec >= 61) return null;
  return (h * 3600 + min * 60) * 1000 + Math.round(sec * 1000);
}

/** `ddmmyy` → date; two-digit years 80–99 are 19xx (GPS began in 1980), others 20xx. */
export function parseDdmmyy(s: string | undefined): YMD | null {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(s ?? '');
  if (!m) return null;
  const d = Number(m[1]);
  const mo = Number(m[2]);
  const yy = Number(m[3]);
  if (d < 1 || d > 31 || mo < 1 || mo > 12) return null;
  return { y: yy >= 80 ? 1900 + yy : 2000 + yy, m: mo, d };
}

/** `ddmm.mmmm` / `dddmm.mmmm` with its hemisphere letter → signed degrees, or null. */
export function parseCoord(
  value: string | undefined,
  hemi: string | undefined,
  isLat: boolean,
): number | null {
  const m = /^(\d+)(\d{2}(?:\.\d*)?)$/.exec(value ?? '');
  if (!m) return null;
  const deg = Number(m[1]);
  const min = Number(m[2]);
  if (min >= 60) return null;
  const v = deg + min / 60;
  if (v > (isLat ? 90 : 180)) return null;
  const neg = isLat ? 'S' : 'W';
  const pos = isLat ? 'N' : 'E';
  if (hemi === neg) return -v;
  return hemi === pos ? v : null;
}

const GGA_QUALITY: readonly FixQuality[] = [
  'none',
  'gps',
  'dgps',
  'pps',
  'rtk',
  'float-rtk',
  'estimated',
  'manual',
  'sim',
];

/** NMEA 2.3+ mode indicator (RMC, GLL, VTG) → quality; `N` (not valid) → 'none'. */
export function modeQuality(mode: string | undefined): FixQuality | null {
  switch (mode) {
    case 'A':
      return 'gps';
    case 'D':
      return 'dgps';
    case 'P':
      return 'pps';
    case 'R':
      return 'rtk';
    case 'F':
      return 'float-rtk';
    case 'E':
      return 'estimated';
    case 'M':
      return 'manual';
    case 'S':
      return 'sim';
    case 'N':
      return 'none';
    default:
      return null;
  }
}

function latLon(f: string[], at: number, valid: boolean): { lat: number | null; lon: number | null } {
  if (!valid) return { lat: null, lon: null };
  return { lat: parseCoord(f[at], f[at + 1], true), lon: parseCoord(f[at + 2], f[at + 3], false) };
}

function emptyPosition(key: string): PositionReport {
  return {
    kind: 'position',
    key,
    tod: null,
    valid: false,
    lat: null,
    lon: null,
    quality: null,
    fromGga: false,
    date: null,
    speed: null,
    course: null,
    alt: null,
    sats: null,
    hdop: null,
  };
}

/** Knots (RMC, VTG) or km/h (VTG) → m/s, within the speed limit. */
function speedOf(knots: string | undefined, kmh: string | undefined, bad: string[]): number | null {
  const k = num(knots);
  const h = num(kmh);
  return inRange(k !== null ? k * KNOTS_TO_MS : h !== null ? h / 3.6 : null, 'speed', bad);
}

function rmc(s: Sentence): PositionReport {
  const f = s.fields;
  const bad: string[] = [];
  const quality = modeQuality(f[11]);
  let valid = f[1] === 'A' && quality !== 'none';
  const { lat, lon } = latLon(f, 2, valid);
  valid = valid && lat !== null && lon !== null;
  const speed = valid ? speedOf(f[6], undefined, bad) : null;
  return withBad(
    {
      ...emptyPosition(`${s.talker}RMC`),
      tod: parseTod(f[0]),
      valid,
      lat: valid ? lat : null,
      lon: valid ? lon : null,
      quality,
      date: parseDdmmyy(f[8]),
      speed,
      course: valid ? ranged(f[7], 'course', bad) : null,
    },
    bad,
  );
}

function gga(s: Sentence): PositionReport {
  const f = s.fields;
  const bad: string[] = [];
  const q = num(f[5]);
  const quality = q !== null && Number.isInteger(q) ? (GGA_QUALITY[q] ?? null) : null;
  let valid = quality !== null && quality !== 'none';
  const { lat, lon } = latLon(f, 1, valid);
  valid = valid && lat !== null && lon !== null;
  return withBad(
    {
      ...emptyPosition(`${s.talker}GGA`),
      tod: parseTod(f[0]),
      valid,
      lat: valid ? lat : null,
      lon: valid ? lon : null,
      quality: quality ?? 'none',
      fromGga: true,
      alt: valid ? ranged(f[8], 'alt', bad) : null,
      sats: ranged(f[6], 'sats', bad),
      hdop: valid ? ranged(f[7], 'hdop', bad) : null,
    },
    bad,
  );
}

function gll(s: Sentence): PositionReport {
  const f = s.fields;
  const quality = modeQuality(f[6]);
  let valid = f[5] === 'A' && quality !== 'none';
  const { lat, lon } = latLon(f, 0, valid);
  valid = valid && lat !== null && lon !== null;
  return {
    ...emptyPosition(`${s.talker}GLL`),
    tod: parseTod(f[4]),
    valid,
    lat: valid ? lat : null,
    lon: valid ? lon : null,
    quality,
  };
}

function vtg(s: Sentence): VelocityReport {
  const f = s.fields;
  const bad: string[] = [];
  const valid = modeQuality(f[8]) !== 'none';
  const speed = valid ? speedOf(f[4], f[6], bad) : null;
  const course = valid ? ranged(f[0], 'course', bad) : null;
  return withBad({ kind: 'velocity', valid, speed, course }, bad);
}

function gsa(s: Sentence): DopReport {
  const f = s.fields;
  const bad: string[] = [];
  let used = 0;
  for (let i = 2; i <= 13; i++) if ((f[i] ?? '') !== '') used++;
  const fixType = ranged(f[1], 'fixType', bad);
  return withBad({ kind: 'dop', fixType, hdop: ranged(f[15], 'hdop', bad), used }, bad);
}

function gsv(s: Sentence): SkyReport {
  const bad: string[] = [];
  const inView = ranged(s.fields[2], 'sats', bad);
  return withBad({ kind: 'sky', talker: s.talker, inView: inView !== null ? Math.trunc(inView) : null }, bad);
}

/**
 * ZDA carries a four-digit year of its own: a receiver (or a corrupted line with a valid checksum,
 * as inserting "0000" keeps it) can claim year 3000000, which no Date can hold.
 */
function zda(s: Sentence): TimeReport {
  const f = s.fields;
  const bad: string[] = [];
  const d = num(f[1]);
  const m = num(f[2]);
  const y = num(f[3]);
  const whole = (v: number | null, lo: number, hi: number) =>
    v !== null && Number.isInteger(v) && v >= lo && v <= hi;
  const [ylo, yhi] = LIMITS.year;
  const given = d !== null || m !== null || y !== null;
  const ok = whole(d, 1, 31) && whole(m, 1, 12) && whole(y, ylo, yhi);
  if (given && !ok) bad.push('date');
  const date = ok ? { y: y!, m: m!, d: d! } : null;
  return withBad({ kind: 'time', key: `${s.talker}ZDA`, tod: parseTod(f[0]), date }, bad);
}

/** Decodes one checked sentence, or null for sentence types the stage does not use. */
export function decodeSentence(s: Sentence): Report | null {
  switch (s.type) {
    case 'RMC':
      return rmc(s);
    case 'GGA':
      return gga(s);
    case 'GLL':
      return gll(s);
    case 'VTG':
      return vtg(s);
    case 'GSA':
      return gsa(s);
    case 'GSV':
      return gsv(s);
    case 'ZDA':
      return zda(s);
    default:
      return null;
  }
}
