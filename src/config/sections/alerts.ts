import { z } from 'zod';

export const alertsSection = z
  .strictObject({
    console: z
      .boolean()
      .default(false)
      .describe(
        'Print hits (plates, positions) on stdout: demo and garage only; under systemd stdout is the journal',
      ),
    consoleStream: z
      .enum(['stdout', 'stderr'])
      .default('stdout')
      .describe(
        'Where the terminal display goes: stderr when stdout (the JSON logs) is sent to a file, as the demo does',
      ),
    showReads: z.boolean().default(false).describe('Also print every read on the terminal (demo)'),
    realertMinutes: z
      .number()
      .min(0)
      .max(1440)
      .default(10)
      .describe(
        'The same plate against the same hot-list entry alerts again only after this long (every hit is still stored and uploaded; a stronger match alerts at once); 0 = every hit',
      ),
  })
  .prefault({})
  .describe('The terminal display of hits and reads (demo and garage: under systemd stdout is the journal)');
