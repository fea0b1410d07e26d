import { z } from 'zod';

export const storeSection = z
  .strictObject({
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(730, 'policy: at most 730 days (2 years)')
      .default(7)
      .describe('Synced reads are kept this long on the unit'),
  })
  .prefault({});
