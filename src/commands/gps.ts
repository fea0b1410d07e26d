import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { gpsSection } from '../config/sections/gps.ts';
import { Bus } from '../core/bus.ts';
import { createLogger, stageLogger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { decodeNmeaLog, fixRecord } from '../gps/decoder.ts';
import { type GpsConfig, GpsStage, type GpsStatus } from '../gps/index.ts';

interface MonitorOptions {
  config?: string;
  device?: string;
  baud?: string;
  gpsd?: string;
  replay?: string;
  speed?: string;
  seconds?: string;
  json?: boolean;
}

/** The GPS section to monitor: from a config file, or from the command line for a bench test. */
export function monitorConfig(o: MonitorOptions): GpsConfig {
  const picked = [o.config, o.device, o.gpsd, o.replay].filter((v) => v !== undefined).length;
  if (picked !== 1) {
    throw new AlprError(ErrorCodes.INPUT, 'give exactly one of --config, --device, --gpsd, --replay');
  }
  if (o.config) return loadConfig(o.config).gps;
  let raw: Record<string, unknown>;
  if (o.device) raw = { type: 'serial', path: o.device, baud: o.baud ? Number(o.baud) : undefined };
  else if (o.gpsd) {
    const [host, port] = o.gpsd.split(':');
    raw = { type: 'gpsd', host: host || undefined, port: port ? Number(port) : undefined };
  } else raw = { type: 'replay', path: o.replay, speed: o.speed ? Number(o.speed) : undefined };
  const r = gpsSection.safeParse(raw);
  if (!r.success) {
    throw new AlprError(ErrorCodes.INPUT, 'bad GPS options', {
      details: r.error.issues.map((i) => `${i.path.join('.') || 'gps'}: ${i.message}`),
    });
  }
  return r.data;
}

const f = (v: number | null | undefined, digits: number, unit = '') =>
  v == null ? '-' : `${v.toFixed(digits)}${unit}`;

/** Receiver UTC minus system clock, readable: `+0.3 s`, `-2 h 5 min`, `+7168 d`. */
export function formatOffset(ms: number | null): string {
  if (ms === null) return '-';
  const sign = ms < 0 ? '-' : '+';
  const a = Math.abs(ms);
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(1)} s`;
  if (a < 86_400_000)
    return `${sign}${Math.floor(a / 3_600_000)} h ${Math.floor((a % 3_600_000) / 60_000)} min`;
  return `${sign}${Math.round(a / 86_400_000)} d`;
}

/** One line for a technician: light, reason, then the fix. Positions are fine here: a console, not a log. */
export function statusLine(s: GpsStatus): string {
  const fix = s.lastFix;
  const p = s.position;
  const where =
    p.lat === null
      ? `position: none (${p.reason})`
      : `position ${p.lat.toFixed(6)},${p.lon.toFixed(6)} age ${(p.fixAgeMs / 1000).toFixed(1)} s${p.deadReckoned ? ' dead-reckoned' : ''}`;
  const parts = [
    `[${s.light.light.toUpperCase()}] ${s.light.reason}`,
    where,
    fix
      ? `utc ${fix.time ?? '-'} alt ${f(fix.alt, 1, ' m')} speed ${f(fix.speed, 1, ' m/s')} course ${f(fix.course, 1)} sats ${fix.sats ?? '-'} hdop ${fix.hdop ?? '-'}`
      : 'no fix yet',
    `in view ${s.satellitesInView ?? '-'}`,
    `receiver clock ${formatOffset(s.clockOffsetMs)} vs system`,
    `sentences ok ${s.sentences.ok} bad-checksum ${s.sentences.badChecksum}`,
  ];
  return parts.join(' | ');
}

async function monitor(o: MonitorOptions): Promise<void> {
  const config = monitorConfig(o);
  const log = stageLogger(createLogger({ level: 'warn', destination: process.stderr }), 'gps');
  const stage = new GpsStage({ bus: new Bus(), log, config });
  await stage.start();
  const seconds = o.seconds ? Number(o.seconds) : Number.POSITIVE_INFINITY;
  const started = Date.now();
  const show = () => {
    const s = stage.status();
    process.stdout.write(`${o.json ? JSON.stringify(s) : statusLine(s)}\n`);
    return s;
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const s = show();
      if (Date.now() - started >= seconds * 1000) {
        clearInterval(timer);
        process.exitCode = s.light.light === 'green' ? 0 : 1;
        resolve();
      }
    }, 1000);
    const quit = () => {
      clearInterval(timer);
      resolve();
    };
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
  });
  await stage.stop();
}

/** `alpr gps …` subcommands. */
export function registerGpsCommands(program: Command): void {
  const gps = program.command('gps').description('GPS receiver tools');
  gps
    .command('decode')
    .argument('<file>', 'NMEA log')
    .description(
      'Print each fix the unit derives from an NMEA log as JSON lines (nothing for no-fix stretches)',
    )
    .action((file: string) => {
      let text: Buffer;
      try {
        text = readFileSync(file);
      } catch (err) {
        throw new AlprError(ErrorCodes.INPUT, `cannot read ${file}: ${(err as Error).message}`);
      }
      const { fixes, stats } = decodeNmeaLog(text);
      for (const fix of fixes) process.stdout.write(`${JSON.stringify(fixRecord(fix))}\n`);
      process.stderr.write(
        `${fixes.length} fixes; sentences ok ${stats.ok}, bad checksum ${stats.badChecksum}, ` +
          `no checksum ${stats.noChecksum}, garbage ${stats.garbage}, rejected ${stats.rejected}\n`,
      );
    });
  gps
    .command('monitor')
    .description('Show the live fix and the GPS light once a second (Ctrl-C to stop)')
    .option('--config <file>', 'use the gps section of this config file')
    .option('--device <path>', 'serial receiver, e.g. /dev/ttyUSB0')
    .option('--baud <n>', 'serial speed (default 9600)')
    .option('--gpsd <host[:port]>', 'a gpsd daemon, e.g. 127.0.0.1:2947')
    .option('--replay <file>', 'replay an NMEA log as a receiver')
    .option('--speed <x>', 'replay speed (default 1)')
    .option('--seconds <n>', 'stop after n seconds; exit 0 only if the light is green then')
    .option('--json', 'print the status as JSON lines')
    .action((o: MonitorOptions) => monitor(o));
}
