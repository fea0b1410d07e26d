import { z } from 'zod';
import { bindHost } from './common.ts';

export const webSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Serve the officer's page (sign-in, lights, hits, search)"),
    host: bindHost
      .default('127.0.0.1')
      .describe('Bind address: loopback, or the in-car network interface address (never the cellular side)'),
    port: z.number().int().min(0).max(65535).default(8730).describe('TCP port (0 = any free port)'),
    tls: z
      .boolean()
      .default(false)
      .describe(
        "Serve the page over HTTPS (certFile and keyFile from the credentials folder): the PIN and the sign-in cookie never cross the car's network in clear",
      ),
    certFile: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a file name inside the credentials folder')
      .default('web.crt')
      .describe(
        "With tls: the page's certificate (PEM, its chain after it), a file in the credentials folder",
      ),
    keyFile: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a file name inside the credentials folder')
      .default('web.key')
      .describe("With tls: the certificate's private key (PEM), a file in the credentials folder"),
    file: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a file name inside paths.dataDir')
      .default('web.sqlite')
      .describe('SQLite file (roster, shift checks, hit actions, audit trail) under paths.dataDir'),
    operatorLight: z
      .boolean()
      .default(true)
      .describe('Car mode: the system light is amber while no operator is signed in (policy rule 1)'),
    sessionHours: z.number().min(0.25).max(24).default(12).describe('A sign-in lasts this long (a shift)'),
    sessionIdleMinutes: z
      .number()
      .int()
      .min(5)
      .max(720)
      .default(60)
      .describe('A sign-in ends after this long without page contact (no request, no open live stream)'),
    pinMaxFailures: z.number().int().min(1).max(20).default(5).describe('Wrong PINs before a lockout'),
    pinLockoutS: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(300)
      .describe('First lockout after too many wrong PINs; each further one doubles (up to 16×)'),
    pinSlowdownMaxS: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(30)
      .describe(
        'Past 4× pinMaxFailures wrong tries unit-wide, each wrong answer waits 1 s, doubling up to this; a right PIN never waits',
      ),
    recentReads: z.number().int().min(0).max(500).default(30).describe('Reads kept for the live list'),
    recentHits: z.number().int().min(1).max(1000).default(100).describe('Hits kept for the page'),
    hitHistoryHours: z
      .number()
      .min(0)
      .max(72)
      .default(12)
      .describe('Stored hits of the last hours shown again after a restart (0 = none)'),
    searchMaxResults: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .default(500)
      .describe('Most reads one search returns'),
    searchesPerMinute: z
      .number()
      .int()
      .min(1)
      .max(120)
      .default(12)
      .describe(
        'Most searches of the stored reads one badge may run in a minute (and six times as many in an hour); more are refused with 429',
      ),
  })
  .prefault({})
  .describe("The officer's local web page");

export type WebConfig = z.infer<typeof webSection>;
