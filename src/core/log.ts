import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold plate numbers, positions or images. Plate text is personal data under the
 * agency's policy: it is only ever logged at debug level, and even there through these paths it is
 * censored unless ALPR_LOG_PLATES=1 (a technician's bench, never a car).
 */
export const REDACT_PATHS = [
  'plate',
  'text',
  'candidates',
  'image',
  'crop',
  'overview',
  'lat',
  'lon',
  'position',
  '*.plate',
  '*.text',
  '*.candidates',
  '*.image',
  '*.crop',
  '*.position',
  '*.lat',
  '*.lon',
];

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.ALPR_LOG_LEVEL ?? 'info',
    base: { svc: 'alpr' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (process.env.ALPR_LOG_PLATES !== '1') options.redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** One child logger per stage: `{"stage":"gps", ...}`. */
export function stageLogger(root: Logger, stage: string): Logger {
  return root.child({ stage });
}
