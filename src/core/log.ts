import { fstatSync } from 'node:fs';
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

/** syslog priorities of pino's levels (journald's PRIORITY: 2 crit … 7 debug). */
const PRIORITY: Record<string, number> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

/**
 * True when file descriptor `fd` is journald's stream for this service ($JOURNAL_STREAM names its
 * device and inode, as systemd.exec(5) says to check).
 */
export function isJournalStream(fd: number, env: string | undefined = process.env.JOURNAL_STREAM): boolean {
  if (!env) return false;
  try {
    const st = fstatSync(fd);
    return env === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/**
 * A destination that starts each JSON line with its syslog priority (`<3>` for error…): journald
 * takes the prefix off and files the line at that priority, so `journalctl -p err` shows the
 * daemon's errors; the message itself stays pure JSON.
 */
export function journalDestination(out: { write(s: string): unknown }): { write(line: string): void } {
  return {
    write(line: string) {
      const level = /"level":"(\w+)"/.exec(line)?.[1] ?? 'info';
      out.write(`<${PRIORITY[level] ?? 6}>${line}`);
    },
  };
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
  if (opts.destination) return pino(options, opts.destination as pino.DestinationStream);
  // Under systemd, stdout is journald's stream: each line carries its priority.
  if (isJournalStream(1)) return pino(options, journalDestination(process.stdout) as pino.DestinationStream);
  return pino(options);
}

/** One child logger per stage: `{"stage":"gps", ...}`. */
export function stageLogger(root: Logger, stage: string): Logger {
  return root.child({ stage });
}
