import { z } from 'zod';
import { pathString } from './common.ts';

export const hotlistSection = z
  .strictObject({
    lookalikeMaxSubs: z.number().int().min(0).max(3).default(1).describe('Look-alike substitutions allowed'),
    candidates: z.number().int().min(1).max(20).default(5).describe('OCR candidates tried per read'),
    seedCsv: z
      .array(z.strictObject({ list: z.string().regex(/^[A-Z_]{2,32}$/), path: pathString }))
      .default([])
      .describe('CSV files loaded at start (demo and bench only; units get lists by signed sync)'),
    recheckMinutes: z.number().int().min(0).max(240).default(30),
  })
  .prefault({});
