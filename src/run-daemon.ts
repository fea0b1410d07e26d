/**
 * `alpr run`: the process around the daemon. Loads and validates the config before any device is
 * opened, tells systemd when the unit is ready and alive, and stops on a signal.
 */
import { loadConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { clearCrashRecords, writeCrashRecord } from './core/crash-guard.ts';
import { createLogger, isJournalStream, stageLogger } from './core/log.ts';
import { Daemon } from './daemon.ts';
import { ErrorCodes, isAlprError } from './domain/errors.ts';
import { ExitCodes } from './exit-codes.ts';
import { statusLine } from './health/format.ts';
import { Liveness } from './notify/liveness.ts';
import { Notifier, notifierEnv } from './notify/sd-notify.ts';

/** pino's levels: what ALPR_LOG_LEVEL may name. */
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * When the logs go to a file and a person watches the terminal (the demo), the reason the daemon
 * stops must reach them too. Under systemd neither stream is a terminal: the journal has the log.
 */
function alsoOnTerminal(message: string): void {
  if (!process.stdout.isTTY && process.stderr.isTTY) process.stderr.write(`alpr: ${message}\n`);
}

/** `alpr run`: load and validate the config before any device is opened, run until a signal. */
export async function runDaemon(
  configFile: string,
  opts: { exitAfterS?: number | undefined },
): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    if (isAlprError(err)) {
      // under systemd, filed as errors (`journalctl -p err`)
      const p = isJournalStream(2) ? '<3>' : '';
      process.stderr.write(
        `${p}alpr: ${err.message} [${err.code}]\n${err.details.map((d) => `${p}  ${d}\n`).join('')}`,
      );
      process.exit(ExitCodes.config);
    }
    throw err;
  }
  // ALPR_LOG_LEVEL (a technician's systemd drop-in) wins over the config's level
  const envLevel = process.env.ALPR_LOG_LEVEL;
  const log = createLogger({ level: envLevel && LEVELS.includes(envLevel) ? envLevel : config.log.level });
  if (envLevel && !LEVELS.includes(envLevel))
    log.warn({ ALPR_LOG_LEVEL: envLevel }, `ALPR_LOG_LEVEL is not one of ${LEVELS.join(', ')}: ignored`);
  // Whatever escapes (device input despite every guard): note which source was being fed, so a
  // source that kills the unit twice in a row is left out at the next start (core/crash-guard.ts).
  process.on('uncaughtException', (err) => {
    const record = writeCrashRecord(config.paths.dataDir, err);
    log.fatal({ err, sources: record.sources }, 'uncaught exception; stopping');
    alsoOnTerminal(`stopped by an unexpected error: ${err.message}`);
    process.exit(ExitCodes.criticalRuntime);
  });
  const daemon = new Daemon(config, log);
  const notifier = new Notifier({ ...notifierEnv(), log: stageLogger(log, 'systemd') });
  const liveness = new Liveness(daemon.bus, {
    maxLoopLagMs: config.health.watchdog.maxLoopLagMs,
    maxFrameStallMs: config.health.watchdog.maxFrameStallS * 1000,
  });
  try {
    await daemon.start();
  } catch (err) {
    log.fatal({ err }, 'start failed');
    alsoOnTerminal(`start failed: ${(err as Error).message}`);
    await notifier.status(`start failed: ${(err as Error).message}`);
    // a model file the config names (or the release ships) that is missing or not a model is not
    // mended by a restart: exit as for a bad config, so systemd does not loop on it (a read error
    // or a worker that ran out of memory may pass: those are restarted)
    process.exit(causedBy(err, ErrorCodes.MODEL_FILE) ? ExitCodes.config : ExitCodes.criticalStart);
  }
  // READY=1 only now: the model is warm, the database open, every stage started.
  daemon.health?.settle();
  liveness.start();
  await notifier.ready(daemon.health ? statusLine(daemon.health.snapshot()) : 'running');
  // WATCHDOG=1 only while the main loop turns and frames that arrive get recognized.
  notifier.startWatchdog(liveness.alive);
  daemon.health?.onChange((l) => void notifier.status(statusLine(l)));
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (opts.exitAfterS) setTimeout(done, opts.exitAfterS * 1000).unref();
  });
  // A second Ctrl-C while stopping means "now".
  process.once('SIGINT', () => process.exit(ExitCodes.interrupted));
  await notifier.stopping();
  liveness.stop();
  await daemon.stop();
  clearCrashRecords(config.paths.dataDir);
  notifier.close();
  process.exit(ExitCodes.ok);
}

/** Whether `err` or an error it was caused by carries `code`. */
function causedBy(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++)
    if (isAlprError(e) && e.code === code) return true;
  return false;
}
