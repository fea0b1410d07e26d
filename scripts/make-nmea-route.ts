/**
 * Writes fixtures/gps/demo-route.nmea: a few minutes of a plausible patrol drive as a receiver
 * would send it at 1 Hz (RMC, VTG, GGA, GSA per epoch, valid checksums), starting with a short
 * cold-start stretch without a fix. Deterministic: the same file every run.
 *
 *   npx tsx scripts/make-nmea-route.ts [out.nmea]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { projectPosition } from '../src/domain/geo.ts';
import { nmeaSentence } from '../src/gps/nmea.ts';

const START_MS = Date.UTC(2026, 4, 14, 17, 30, 0);
const ORIGIN = { lat: 38.575764, lon: -121.478851 };
const NO_FIX_S = 12;
const ALT_M = 9.4;
const GEOID_M = -30.2;

/** Legs of the drive: hold `course` for `s` seconds at `speed` m/s (speed eases between legs). */
const LEGS: { course: number; s: number; speed: number }[] = [
  { course: 0, s: 6, speed: 0 },
  { course: 90, s: 45, speed: 13 },
  { course: 90, s: 8, speed: 0 },
  { course: 0, s: 40, speed: 11 },
  { course: 45, s: 25, speed: 15 },
  { course: 270, s: 50, speed: 12 },
  { course: 180, s: 35, speed: 10 },
  { course: 180, s: 6, speed: 0 },
];

const pad = (n: number, w: number) => String(Math.trunc(n)).padStart(w, '0');

function hhmmss(t: number): string {
  const d = new Date(t);
  return `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.00`;
}

function ddmmyy(t: number): string {
  const d = new Date(t);
  return `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
}

function coord(v: number, degDigits: number, pos: string, neg: string): [string, string] {
  const a = Math.abs(v);
  const deg = Math.floor(a);
  const min = (a - deg) * 60;
  return [`${pad(deg, degDigits)}${min.toFixed(5).padStart(8, '0')}`, v < 0 ? neg : pos];
}

function noFixEpoch(t: number): string[] {
  return [
    `GPRMC,${hhmmss(t)},V,,,,,,,${ddmmyy(t)},,,N`,
    'GPVTG,,T,,M,,N,,K,N',
    `GPGGA,${hhmmss(t)},,,,,0,00,99.99,,,,,,`,
    'GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99',
  ];
}

function fixEpoch(t: number, lat: number, lon: number, speed: number, course: number, i: number): string[] {
  const [la, ns] = coord(lat, 2, 'N', 'S');
  const [lo, ew] = coord(lon, 3, 'E', 'W');
  const kn = (speed * 3600) / 1852;
  // Course over ground is undefined when standing still; receivers leave it empty.
  const cog = speed > 0.5 ? course.toFixed(1) : '';
  const sats = 8 + (i % 3);
  const hdop = (0.8 + (i % 5) * 0.1).toFixed(2);
  const prns = [2, 5, 7, 9, 13, 15, 18, 20, 27, 30].slice(0, sats).map((p) => pad(p, 2));
  while (prns.length < 12) prns.push('');
  return [
    `GPRMC,${hhmmss(t)},A,${la},${ns},${lo},${ew},${kn.toFixed(3)},${cog},${ddmmyy(t)},,,A`,
    `GPVTG,${cog},T,,M,${kn.toFixed(3)},N,${(speed * 3.6).toFixed(3)},K,A`,
    `GPGGA,${hhmmss(t)},${la},${ns},${lo},${ew},1,${pad(sats, 2)},${hdop},${ALT_M.toFixed(1)},M,${GEOID_M.toFixed(1)},M,,`,
    `GPGSA,A,3,${prns.join(',')},1.60,${hdop},1.20`,
  ];
}

export function makeRoute(): string {
  const lines: string[] = [];
  let t = START_MS;
  for (let i = 0; i < NO_FIX_S; i++, t += 1000) lines.push(...noFixEpoch(t));
  let { lat, lon } = ORIGIN;
  let speed = 0;
  let course = LEGS[0]!.course;
  let i = 0;
  for (const leg of LEGS) {
    for (let s = 0; s < leg.s; s++, i++, t += 1000) {
      // Ease speed (±2 m/s² at most) and course (±30°/s) towards the leg's values.
      speed += Math.max(-2, Math.min(2, leg.speed - speed));
      const turn = ((leg.course - course + 540) % 360) - 180;
      course = (course + Math.max(-30, Math.min(30, turn)) + 360) % 360;
      ({ lat, lon } = projectPosition(lat, lon, speed, course, 1));
      lines.push(...fixEpoch(t, lat, lon, speed, course, i));
    }
  }
  return `${lines.map((b) => nmeaSentence(b)).join('\r\n')}\r\n`;
}

const out = resolve(process.argv[2] ?? new URL('../fixtures/gps/demo-route.nmea', import.meta.url).pathname);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, makeRoute());
process.stdout.write(`wrote ${out}\n`);
