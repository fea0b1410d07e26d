import { z } from 'zod';
import { pathString } from './common.ts';

const common = {
  maxFixAgeS: z.number().min(0.5).max(60).default(5).describe('Older fixes are not put on reads'),
  noDataTimeoutS: z.number().min(1).max(300).default(5).describe('No bytes this long: GPS light red'),
};

export const gpsSection = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('serial'),
      path: pathString.default('/dev/ttyUSB0'),
      baud: z
        .union([
          z.literal(4800),
          z.literal(9600),
          z.literal(19200),
          z.literal(38400),
          z.literal(57600),
          z.literal(115200),
        ])
        .default(9600),
      ...common,
    }),
    z.strictObject({
      type: z.literal('gpsd'),
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(1).max(65535).default(2947),
      ...common,
    }),
    z.strictObject({
      type: z.literal('replay'),
      path: pathString.describe('An NMEA log replayed as a receiver'),
      speed: z.number().min(0.1).max(1000).default(1).describe('1 = real pace'),
      loop: z.boolean().default(true),
      ...common,
    }),
    z.strictObject({ type: z.literal('none') }),
  ])
  .default({ type: 'none' });
