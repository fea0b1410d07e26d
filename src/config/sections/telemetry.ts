import { z } from 'zod';

/** What the unit publishes about itself over the sync link (health lights, heartbeat). */
export const telemetrySection = z
  .strictObject({
    healthIntervalS: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(60)
      .describe('The retained health topic is re-published this often (and on every light change)'),
    heartbeatIntervalS: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(300)
      .describe('Heartbeat period: versions, uptime, camera fps, outbox depth, disk, temperature, self-test'),
    selftestFile: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'a file name inside paths.dataDir')
      .default('selftest-last.json')
      .describe('The last `alpr selftest --save` report, reported in the heartbeat'),
  })
  .prefault({})
  .describe('Unit telemetry for the fleet (only with sync.type: mqtt)');

export type TelemetryConfig = z.infer<typeof telemetrySection>;
