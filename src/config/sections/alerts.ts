import { z } from 'zod';

export const alertsSection = z
  .strictObject({
    console: z
      .boolean()
      .default(false)
      .describe(
        'Print hits (plates, positions) on stdout: demo and garage only; under systemd stdout is the journal',
      ),
    showReads: z.boolean().default(false).describe('Also print every read on the terminal (demo)'),
  })
  .prefault({});
