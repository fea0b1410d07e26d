import { z } from 'zod';

/** Schemes that carry MQTT over TLS. */
const TLS_URL = /^(mqtts|wss|ssl):\/\//;

const fileName = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'a file name in the credentials folder');

/** Store-and-forward to the agency's central MQTT broker. */
export const syncSection = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z
      .strictObject({
        type: z.literal('mqtt'),
        url: z
          .string()
          .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must start with mqtt://, mqtts://, ws:// or wss://')
          .describe(
            'The agency broker: mqtts://host:8883 or wss://host/path (TLS with the unit certificate)',
          ),
        clusterUrls: z
          .array(
            z
              .string()
              .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must start with mqtt://, mqtts://, ws:// or wss://'),
          )
          .max(16)
          .default([])
          .describe(
            'Other nodes of a clustered broker (the same cluster as url): after a failed or lost connection the unit tries the next one in turn; its persistent session lives in the cluster, not on a node',
          ),
        insecure: z
          .boolean()
          .default(false)
          .describe('Allow a plain (unencrypted) broker URL: a test or demo broker only, never a car'),
        topicBase: z
          .string()
          .regex(/^[A-Za-z0-9_/-]{1,64}$/)
          .default('alpr')
          .describe('First topic level: everything goes under <topicBase>/<agency>/<unit>/'),
        caFile: fileName.optional().describe('Name of the CA file in the credentials folder'),
        certFile: fileName.optional().describe('Client certificate file name in the credentials folder'),
        keyFile: fileName.optional().describe('Client key file name in the credentials folder'),
        protocolVersion: z
          .union([z.literal(5), z.literal(4)])
          .default(5)
          .describe(
            'MQTT 5 (falls back to 3.1.1 by itself when the broker refuses 5), or 4: 3.1.1 from the start',
          ),
        images: z.boolean().default(false).describe('Upload plate/overview JPEGs (see store.outboxImages)'),
        inflight: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(256)
          .describe('Unacknowledged publishes at once'),
        batch: z.number().int().min(1).max(5000).default(200).describe('Outbox rows read per query'),
        maxBytesPerSecond: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Upload bandwidth cap in bytes/s (0 = no cap)'),
        reconnectMinMs: z
          .number()
          .int()
          .min(100)
          .max(10_000)
          .default(1000)
          .describe('First wait before reconnecting to the broker (ms); doubles per failed attempt'),
        // A car's link comes and goes all shift: a long cap meant reconnecting up to a minute after
        // the broker was back (28.5 s measured). Jitter keeps a fleet from reconnecting in step.
        reconnectMaxMs: z
          .number()
          .int()
          .min(1000)
          .max(30_000)
          .default(5000)
          .describe(
            'Longest wait between reconnect attempts (ms): the most the unit lags a returning broker',
          ),
        // mqtt.js pings after one keepalive without a packet from the broker and gives up half a
        // keepalive later: 30 s meant a black-holed broker (TCP open, no answers) went unnoticed
        // for 45 s with the light green. 10 s notices it within 15 s for a few bytes a minute.
        keepaliveSeconds: z
          .number()
          .int()
          .min(5)
          .max(600)
          .default(10)
          .describe(
            'MQTT keepalive (s): a broker silent for 1.5× this long is dropped and the server light goes amber',
          ),
        tallyIntervalS: z
          .number()
          .int()
          .min(0)
          .max(86_400)
          .default(300)
          .describe(
            'How often, while connected, the unit tells the server how many reads and hits of the last day it delivered, so the server can ask again for any it lost (0 = never)',
          ),
        amberAfterMinutes: z
          .number()
          .min(0)
          .max(1440)
          .default(0)
          .describe('Server light goes amber once disconnected this long (0 = at once)'),
        redAfterMinutes: z
          .number()
          .min(0.05)
          .max(1440)
          .default(15)
          .describe('Server light goes red once disconnected this long'),
      })
      // Policy rule 9: reads leave the unit only over an encrypted link.
      .refine((s) => s.insecure || TLS_URL.test(s.url), {
        message: 'must be mqtts:// or wss:// (a plain link needs sync.insecure: true, for a test broker)',
        path: ['url'],
      })
      .refine((s) => s.insecure || s.clusterUrls.every((u) => TLS_URL.test(u)), {
        message: 'must all be mqtts:// or wss:// (a plain link needs sync.insecure: true, for a test broker)',
        path: ['clusterUrls'],
      }),
  ])
  .default({ type: 'none' })
  .describe(
    'Upload to the central server: `mqtt`, or `none` (reads stay on the unit; server light not configured)',
  );
