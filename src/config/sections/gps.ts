import { z } from 'zod';
import { pathString } from './common.ts';

/** Fix qualities a unit may demand for a green GPS light, weakest first. */
export const GPS_MIN_QUALITIES = ['gps', 'dgps', 'float-rtk', 'rtk'] as const;

const common = {
  maxFixAgeS: z.number().min(0.5).max(60).default(5).describe('Older fixes are not put on reads'),
  noDataTimeoutS: z.number().min(1).max(300).default(5).describe('No bytes this long: GPS light red'),
  minQuality: z
    .enum(GPS_MIN_QUALITIES)
    .default('gps')
    .describe('Weakest fix quality that still makes the GPS light green'),
  deadReckonS: z
    .number()
    .min(0)
    .max(30)
    .default(0)
    .describe(
      'After a fix goes stale, project it from its speed and course this many more seconds (flagged deadReckoned); 0 = off',
    ),
  reconnectMaxS: z
    .number()
    .min(1)
    .max(300)
    .default(10)
    .describe('Longest wait between attempts to reopen a lost device or gpsd connection'),
};

export const gpsSection = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('serial'),
      path: pathString.default('/dev/ttyUSB0').describe('Serial device of the receiver'),
      baud: z
        .union([
          z.literal(4800),
          z.literal(9600),
          z.literal(19200),
          z.literal(38400),
          z.literal(57600),
          z.literal(115200),
        ])
        .default(9600)
        .describe('Serial speed of the receiver'),
      ...common,
    }),
    z.strictObject({
      type: z.literal('gpsd'),
      host: z.string().min(1).default('127.0.0.1').describe('Host of the gpsd daemon'),
      port: z.number().int().min(1).max(65535).default(2947).describe('TCP port of the gpsd daemon'),
      device: pathString.optional().describe('Watch only this gpsd device (default: all)'),
      ...common,
    }),
    z.strictObject({
      type: z.literal('replay'),
      path: pathString.describe('An NMEA log replayed as a receiver'),
      speed: z.number().min(0.1).max(1000).default(1).describe('1 = real pace'),
      loop: z.boolean().default(true).describe('Start again from the top at the end of the log'),
      startAtFix: z
        .boolean()
        .default(false)
        .describe(
          "Start (and restart each loop) at the log's first epoch with a fix, skipping a cold start without one (the demo)",
        ),
      ...common,
    }),
    z.strictObject({ type: z.literal('none') }),
  ])
  .default({ type: 'none' })
  .describe('GPS receiver: serial port, gpsd, an NMEA replay, or none');
