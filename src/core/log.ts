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

/**
 * pino's error serializer, except that a cause whose message the error's own message already
 * quotes is not appended again (`store failed to start: cannot read secret "x"`, not the reason
 * twice); causes it does not quote are still appended.
 */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error);
  if (!(err instanceof Error) || !out || typeof out !== 'object') return out;
  let message = err.message;
  const seen = new Set<unknown>([err]);
  for (let c = err.cause; c instanceof Error && !seen.has(c); c = c.cause) {
    seen.add(c);
    if (c.message && !message.includes(c.message)) message += `: ${c.message}`;
  }
  return { ...out, message };
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.ALPR_LOG_LEVEL ?? 'info',
    base: { svc: 'alpr' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** One child logger per stage: `{"stage":"gps", ...}`. */
export function stageLogger(root: Logger, stage: string): Logger {
  return root.child({ stage });
}
