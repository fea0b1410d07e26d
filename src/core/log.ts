import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold plate numbers, positions or images. Plate text is personal data under the
 * agency's policy: whatever the level, these paths are censored, and there is no switch to lift
 * that (a bench switch would one day be left on in a car).
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
  'reading',
  'entry',
  'row',
  'rows',
  '*.plate',
  '*.reading',
  '*.entry',
  '*.row',
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
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** One child logger per stage: `{"stage":"gps", ...}`. */
export function stageLogger(root: Logger, stage: string): Logger {
  return root.child({ stage });
}
