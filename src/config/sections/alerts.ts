import { z } from 'zod';

export const alertsSection = z
  .strictObject({
    console: z.boolean().default(true).describe('Print hits on the terminal (demo, garage)'),
    showReads: z.boolean().default(false).describe('Also print every read on the terminal (demo)'),
  })
  .prefault({});
