/**
 * Field decoding of the NMEA sentences the GPS stage uses (pure): RMC, GGA, GLL, VTG, GSA, GSV,
 * ZDA from any talker (GP, GN, GL, GA, GB, BD…), NMEA 2.3 to 4.11. A field that is empty or out of
 * range decodes to null; a no-fix sentence decodes with `valid: false`, and its position (often
 * 0,0 or last-known) is never returned.
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
}

export interface VelocityReport {
  kind: 'velocity';
  valid: boolean;
  speed: number | null;
  course: number | null;
}

export interface DopReport {
  kind: 'dop';
  /** 1 = no fix, 2 = 2D, 3 = 3D. */
  fixType: number | null;
  hdop: number | null;
  used: number;
}

export interface SkyReport {
  kind: 'sky';
  talker: string;
  inView: number | null;
}

export interface TimeReport {
  kind: 'time';
  key: string;
  tod: number | null;
  date: YMD | null;
}

export type Report = PositionReport | VelocityReport | DopReport | SkyReport | TimeReport;

const KNOTS_TO_MS = 1852 / 3600;

function num(s: string | undefined): number | null {
  if (s === undefined || s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return null;
  return Number(s);
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

function rmc(s: Sentence): PositionReport {
  const f = s.fields;
  const quality = modeQuality(f[11]);
  let valid = f[1] === 'A' && quality !== 'none';
  const { lat, lon } = latLon(f, 2, valid);
  valid = valid && lat !== null && lon !== null;
  const knots = num(f[6]);
  return {
    ...emptyPosition(`${s.talker}RMC`),
    tod: parseTod(f[0]),
    valid,
    lat: valid ? lat : null,
    lon: valid ? lon : null,
    quality,
    date: parseDdmmyy(f[8]),
    speed: valid && knots !== null ? knots * KNOTS_TO_MS : null,
    course: valid ? num(f[7]) : null,
  };
}

function gga(s: Sentence): PositionReport {
  const f = s.fields;
  const q = num(f[5]);
  const quality = q !== null && Number.isInteger(q) ? (GGA_QUALITY[q] ?? null) : null;
  let valid = quality !== null && quality !== 'none';
  const { lat, lon } = latLon(f, 1, valid);
  valid = valid && lat !== null && lon !== null;
  return {
    ...emptyPosition(`${s.talker}GGA`),
    tod: parseTod(f[0]),
    valid,
    lat: valid ? lat : null,
    lon: valid ? lon : null,
    quality: quality ?? 'none',
    fromGga: true,
    alt: valid ? num(f[8]) : null,
    sats: num(f[6]),
    hdop: valid ? num(f[7]) : null,
  };
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
  const valid = modeQuality(f[8]) !== 'none';
  const knots = num(f[4]);
  const kmh = num(f[6]);
  const speed = knots !== null ? knots * KNOTS_TO_MS : kmh !== null ? kmh / 3.6 : null;
  return { kind: 'velocity', valid, speed: valid ? speed : null, course: valid ? num(f[0]) : null };
}

function gsa(s: Sentence): DopReport {
  const f = s.fields;
  let used = 0;
  for (let i = 2; i <= 13; i++) if ((f[i] ?? '') !== '') used++;
  return { kind: 'dop', fixType: num(f[1]), hdop: num(f[15]), used };
}

function zda(s: Sentence): TimeReport {
  const f = s.fields;
  const d = num(f[1]);
  const m = num(f[2]);
  const y = num(f[3]);
  const ok = d !== null && m !== null && y !== null && d >= 1 && d <= 31 && m >= 1 && m <= 12 && y >= 1980;
  return { kind: 'time', key: `${s.talker}ZDA`, tod: parseTod(f[0]), date: ok ? { y, m, d } : null };
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
      return { kind: 'sky', talker: s.talker, inView: num(s.fields[2]) };
    case 'ZDA':
      return zda(s);
    default:
      return null;
  }
}
