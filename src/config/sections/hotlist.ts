import { z } from 'zod';
import { pathString } from './common.ts';

const listName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{1,31}$/, 'must be 2-32 of A-Z 0-9 _, starting with a letter');

export const hotlistSection = z
  .strictObject({
    lookalikeMaxSubs: z
      .number()
      .int()
      .min(0)
      .max(3)
      .default(1)
      .describe(
        'Look-alike substitutions (0/O, 8/B, …) a read may need to match an entry; such hits are approximate',
      ),
    candidates: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .describe('OCR candidates tried per read, the top read included'),
    seedCsv: z
      .array(
        z.strictObject({
          list: listName.describe('List name the file is loaded as (e.g. SVS)'),
          path: pathString.describe('The CSV file (the format of `alpr hotlist push --file`)'),
        }),
      )
      .default([])
      .describe('CSV files loaded at start (demo and bench only; units get lists by signed sync)'),
    recheckMinutes: z
      .number()
      .int()
      .min(0)
      .max(240)
      .default(30)
      .describe('Reads of the last N minutes are matched again when a list changes (late hits)'),
    // The recheck window by time alone grew the heap with the read rate (3 MB over 30 min with one
    // slow camera); a cap on the count keeps it bounded on a busy road with several cameras.
    recheckMaxReads: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(5000)
      .describe('At most this many recent reads are kept for late hits (the oldest go first)'),
    adminKeys: z
      .array(
        z.strictObject({
          id: z
            .string()
            .regex(/^[A-Za-z0-9_.-]{1,64}$/)
            .describe('Key id named in signed manifests'),
          publicKey: z
            .string()
            .regex(
              /^[A-Za-z0-9+/]{43}=$/,
              'must be base64 of a 32-byte Ed25519 public key (alpr hotlist keygen)',
            )
            .describe('Admin Ed25519 public key, base64 of the raw 32 bytes'),
        }),
      )
      .default([])
      .describe('Pinned admin keys: only snapshots signed by one of these are applied'),
    chunkTimeoutS: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(120)
      .describe('A snapshot whose chunks do not all arrive within this time is rejected as truncated'),
  })
  .prefault({})
  .describe('Hot lists kept on the unit, matching and late re-checks');
