import { z } from 'zod';

export const syncSection = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({
      type: z.literal('mqtt'),
      url: z
        .string()
        .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must start with mqtt://, mqtts://, ws:// or wss://'),
      topicBase: z
        .string()
        .regex(/^[A-Za-z0-9_/-]{1,64}$/)
        .default('alpr'),
      caFile: z.string().optional().describe('Name of the CA file in the credentials folder'),
      certFile: z.string().optional().describe('Client certificate file name in the credentials folder'),
      keyFile: z.string().optional().describe('Client key file name in the credentials folder'),
      images: z.boolean().default(false),
    }),
  ])
  .default({ type: 'none' });
