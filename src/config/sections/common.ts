import { z } from 'zod';

export const orientation = z.enum(['front', 'rear', 'left', 'right']).describe('Camera mounting direction');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** A path; relative paths are resolved against the config file's folder. */
export const pathString = z.string().min(1).max(4096);

export const unitSection = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
      .describe('Unit identity, as provisioned'),
    agency: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
      .describe('Agency identifier used in MQTT topics'),
    mode: z.enum(['car', 'trailer']).default('car').describe('Trailers run without an operator'),
  })
  .describe('Who this unit is');

export const pathsSection = z
  .strictObject({
    dataDir: pathString.default('/var/lib/alpr').describe('SQLite files, images, outbox'),
    credentialsDir: pathString
      .optional()
      .describe('Folder of secret files; defaults to $CREDENTIALS_DIRECTORY (systemd LoadCredential=)'),
  })
  .prefault({});

export const logSection = z
  .strictObject({
    level: logLevel.default('info'),
  })
  .prefault({});
