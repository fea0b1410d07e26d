import { z } from 'zod';
import { bindHost, pathString } from './common.ts';

/** A sysfs LED name (a folder under leds.dir), or absent when that colour has no LED. */
const ledName = z
  .string()
  .regex(/^[A-Za-z0-9:._+-]{1,64}$/, 'an LED name under /sys/class/leds')
  .optional();

const ledSet = z
  .strictObject({
    green: ledName.describe('LED lit when this light is green'),
    amber: ledName.describe('LED lit when this light is amber'),
    red: ledName.describe('LED lit when this light is red'),
  })
  .describe('LED names for one light; a bi-colour LED may use the same name for two colours');

export const healthSection = z
  .strictObject({
    checkIntervalS: z
      .number()
      .min(1)
      .max(600)
      .default(10)
      .describe('How often the system checks run (disk, CPU temperature, clock)'),
    startupTimeoutS: z
      .number()
      .min(1)
      .max(600)
      .default(60)
      .describe('Lights stay amber ("checking") at most this long when the daemon never reports started'),
    stageRetryS: z
      .number()
      .min(1)
      .max(3600)
      .default(30)
      .describe(
        'A part that failed to start (server link, GPS, page, cameras) is started again after this long, the wait doubling up to 10 minutes',
      ),
    http: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Serve GET /health (lights, reasons, versions)'),
        host: bindHost
          .default('127.0.0.1')
          .describe('Bind address; keep it on loopback (policy K: no open ports)'),
        port: z.number().int().min(0).max(65535).default(8720).describe('TCP port (0 = any free port)'),
      })
      .prefault({})
      .describe('Local JSON health endpoint, read by `alpr status`'),
    disk: z
      .strictObject({
        amberFreeMb: z.number().int().min(0).max(10_000_000).default(2048).describe('Below: amber'),
        redFreeMb: z.number().int().min(0).max(10_000_000).default(512).describe('Below: red'),
      })
      .refine((d) => d.redFreeMb <= d.amberFreeMb, {
        message: 'redFreeMb must not be above amberFreeMb',
        path: ['redFreeMb'],
      })
      .prefault({})
      .describe('Free space of paths.dataDir'),
    temperature: z
      .strictObject({
        path: pathString
          .default('/sys/class/thermal/thermal_zone0/temp')
          .describe('Millidegrees Celsius file; absent file = temperature not reported'),
        amberC: z.number().min(20).max(150).default(75).describe('At or above: amber'),
        redC: z.number().min(20).max(150).default(85).describe('At or above: red'),
      })
      .refine((t) => t.redC >= t.amberC, { message: 'redC must not be below amberC', path: ['redC'] })
      .prefault({})
      .describe('CPU temperature'),
    clock: z
      .strictObject({
        minYear: z.number().int().min(2024).max(2100).default(2024).describe('An earlier system year: red'),
        maxOffsetS: z
          .number()
          .min(0.1)
          .max(3600)
          .default(2)
          .describe('System clock vs GPS time: a larger difference is red'),
      })
      .prefault({})
      .describe('Clock sanity'),
    leds: z
      .strictObject({
        dir: pathString.default('/sys/class/leds').describe('LED class folder (a fake folder in tests)'),
        cameras: ledSet.optional(),
        server: ledSet.optional(),
        gps: ledSet.optional(),
        system: ledSet.optional(),
      })
      .prefault({})
      .describe('Physical LEDs per light; unmapped lights have no LED'),
    watchdog: z
      .strictObject({
        maxLoopLagMs: z
          .number()
          .int()
          .min(100)
          .max(60_000)
          .default(5000)
          .describe('Event-loop lag beyond this counts as hung (no WATCHDOG=1)'),
        maxFrameStallS: z
          .number()
          .min(1)
          .max(600)
          .default(30)
          .describe('Frames arriving but none recognized for this long counts as hung'),
      })
      .prefault({})
      .describe('systemd watchdog liveness (WatchdogSec= is set in the unit file)'),
  })
  .prefault({})
  .describe('Health lights, local endpoint, LEDs and watchdog liveness');

export type HealthConfig = z.infer<typeof healthSection>;
