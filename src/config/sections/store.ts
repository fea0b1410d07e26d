import { z } from 'zod';

/** The reads store: SQLite under paths.dataDir, personal fields sealed with AES-256-GCM. */
export const storeSection = z
  .strictObject({
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(730, 'policy: at most 730 days (2 years)')
      .default(7)
      .describe('Synced reads are kept this long on the unit (policy C.1: never past 730 days)'),
    encryption: z
      .enum(['aes-256-gcm', 'none'])
      .default('aes-256-gcm')
      .describe('Field encryption of plates, candidates, positions and images; "none" is for the demo only'),
    keyFile: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'a file name in the credentials folder')
      .default('store.key')
      .describe('Store key file in the credentials folder: 32 raw bytes, or 64 hex / 44 base64 characters'),
    file: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'a file name inside paths.dataDir')
      .default('reads.sqlite')
      .describe('SQLite file name inside paths.dataDir'),
    synchronous: z
      .enum(['full', 'normal'])
      .default('full')
      .describe(
        'SQLite synchronous mode: "full" survives power loss (cars lose power), "normal" only crashes',
      ),
    purgeIntervalMinutes: z.number().int().min(1).max(1440).default(60).describe('How often retention runs'),
    minFreeMb: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(512)
      .describe('Disk watermark: below this many free MB, the oldest synced data is purged first (0 = off)'),
    reserveMb: z
      .number()
      .int()
      .min(0)
      .max(4096)
      .default(16)
      .describe(
        'Space kept in a reserve file under dataDir and released when the disk fills, so purges can run',
      ),
    holdMaxRecords: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(20_000)
      .describe(
        'Reads and hits kept in memory while the disk refuses them, retried until stored; past this the oldest read is dropped, a hit only when no read is left',
      ),
    holdMaxMb: z
      .number()
      .int()
      .min(0)
      .max(1024)
      .default(32)
      .describe('Memory bound, in MB, of the reads and hits held while the disk refuses them'),
    outboxImages: z
      .boolean()
      .default(false)
      .describe('Queue stored images for upload (bandwidth); set with sync.images'),
  })
  .prefault({})
  .describe('The encrypted local store of reads and hits, its retention and the upload queue');
