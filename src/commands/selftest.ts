import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CaptureStage } from '../capture/index.ts';
import { loadConfig } from '../config/load.ts';
import { credentialsDir, keySealingWarnings, keySources } from '../config/secrets.ts';
import type { Config } from '../config/schema.ts';
import { type HealthConfig, healthSection } from '../config/sections/health.ts';
import { Bus } from '../core/bus.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { SOFTWARE_VERSION } from '../core/version.ts';
import { isAlprError } from '../domain/errors.ts';
import type { Fix } from '../domain/types.ts';
import { GpsStage } from '../gps/index.ts';
import { checkBroker } from '../health/broker.ts';
import { clockVerdict, diskVerdict, temperatureVerdict } from '../health/checks.ts';
import { cpuTemperature, diskSpace } from '../health/probes.ts';
import {
  buildReport,
  cameraChecks,
  checkFromVerdict,
  formatReport,
  keysCheck,
  modelCheck,
  type SelftestCheck,
  type SelftestReport,
} from '../health/selftest.ts';
import { createRecognizer, decodeImageFile } from '../recognize/index.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';
/** The shipped reference image and the plate it shows (fixtures/demo/README.md). */
export const REFERENCE = {
  image: fileURLToPath(new URL('../../fixtures/demo/frames/frame-001.jpg', import.meta.url)),
  plate: '7ABC123',
};

export interface SelftestOptions {
  config: string;
  image?: string | undefined;
  expect?: string | undefined;
  budgetMs: number;
  cameraTimeoutS: number;
  /** How long to wait for a GPS fix (a cold receiver can take a minute). */
  gpsTimeoutS?: number;
  /** How long to wait for the broker's CONNACK (default 10 s). */
  brokerTimeoutS?: number;
  /** Logs (warnings) go here; the report is returned, not printed. */
  log?: Logger;
}

/** The nearest existing folder at or above `dir` (a fresh unit has no data folder yet). */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

async function systemChecks(c: Config, h: HealthConfig): Promise<SelftestCheck[]> {
  const out: SelftestCheck[] = [];
  const at = existingAncestor(c.paths.dataDir);
  try {
    const s = await diskSpace(at);
    const v = diskVerdict(s.freeBytes, s.totalBytes, h.disk);
    out.push(
      checkFromVerdict('disk', at === c.paths.dataDir ? v : { ...v, reason: `${v.reason} (at ${at})` }),
    );
  } catch (err) {
    out.push({ name: 'disk', result: 'fail', detail: `cannot read ${at}: ${(err as Error).message}` });
  }
  out.push(checkFromVerdict('clock', clockVerdict(Date.now(), null, h.clock)));
  const t = await cpuTemperature(h.temperature.path);
  if (t !== null) out.push(checkFromVerdict('temperature', temperatureVerdict(t, h.temperature)));
  return out;
}

async function runModel(
  c: Config,
  o: SelftestOptions,
  log: Logger,
  versions: Record<string, string>,
): Promise<SelftestCheck> {
  const image = o.image ?? REFERENCE.image;
  const expected = o.expect ?? (o.image ? null : REFERENCE.plate);
  const t0 = performance.now();
  let recognizer: Awaited<ReturnType<typeof createRecognizer>>;
  try {
    recognizer = await createRecognizer(c.recognize, log);
  } catch (err) {
    return { name: 'model', result: 'fail', detail: `cannot load: ${(err as Error).message}` };
  }
  versions.model = recognizer.modelVersion;
  const loadMs = performance.now() - t0;
  try {
    const img = await decodeImageFile(image);
    const t1 = performance.now();
    const plates = (await recognizer.readFrame(img)).map((p) => p.text);
    const check = modelCheck(performance.now() - t1, o.budgetMs, plates, expected);
    return { ...check, detail: `${check.detail}; loaded and warmed in ${Math.round(loadMs)} ms` };
  } catch (err) {
    return { name: 'model', result: 'fail', detail: (err as Error).message };
  } finally {
    await recognizer.close();
  }
}

async function runCameras(c: Config, timeoutS: number, log: Logger): Promise<SelftestCheck[]> {
  const cams = c.cameras.filter((cam) => cam.enabled);
  if (!cams.length) return [{ name: 'cameras', result: 'fail', detail: 'no cameras configured' }];
  const bus = new Bus();
  const first = new Map<string, number>();
  const t0 = performance.now();
  // IP cameras' passwords come from the credentials folder, as in the daemon.
  const capture = new CaptureStage({
    bus,
    log,
    cameras: cams,
    credentialsDir: credentialsDir(c.paths.credentialsDir),
  });
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  bus.on('frame', (f) => {
    if (!first.has(f.cameraId)) first.set(f.cameraId, performance.now() - t0);
    if (first.size === cams.length) done();
  });
  const timer = setTimeout(done, timeoutS * 1000);
  try {
    await capture.start();
    await all;
  } finally {
    clearTimeout(timer);
    await capture.stop();
  }
  return cameraChecks(
    cams.map((cam) => cam.id),
    first,
    timeoutS,
  );
}

/** A fix within the timeout and, from a live receiver, the system clock against GPS time. */
async function runGps(c: Config, h: HealthConfig, timeoutS: number, log: Logger): Promise<SelftestCheck[]> {
  if (c.gps.type === 'none')
    return [{ name: 'gps', result: 'warn', detail: 'no GPS configured (gps.type: none)' }];
  const bus = new Bus();
  const gps = new GpsStage({ bus, log, config: c.gps });
  const t0 = performance.now();
  let fix: Fix | null = null;
  let done: () => void = () => {};
  const got = new Promise<void>((resolve) => {
    done = resolve;
  });
  bus.on('fix', (f) => {
    fix ??= f;
    done();
  });
  const timer = setTimeout(done, timeoutS * 1000);
  let offset: number | null = null;
  try {
    await gps.start();
    await got;
    // A replayed log carries its recording's time: comparing the clock with it means nothing.
    if (fix && c.gps.type !== 'replay') offset = gps.clockOffsetMs();
  } finally {
    clearTimeout(timer);
    await gps.stop();
  }
  const f = fix as Fix | null;
  if (!f) return [{ name: 'gps', result: 'fail', detail: `no fix within ${timeoutS} s` }];
  const sats = f.sats === null ? '' : `, ${f.sats} satellites`;
  const out: SelftestCheck[] = [
    {
      name: 'gps',
      result: 'pass',
      detail: `fix after ${((performance.now() - t0) / 1000).toFixed(1)} s (${f.quality}${sats})`,
    },
  ];
  if (offset !== null) out.push(checkFromVerdict('clock vs GPS', clockVerdict(Date.now(), offset, h.clock)));
  return out;
}

/** The broker accepts the unit's certificate (only when the config has a server link). */
async function runBroker(c: Config, timeoutS: number): Promise<SelftestCheck[]> {
  const s = c.sync;
  if (s.type !== 'mqtt') return [];
  return [
    await checkBroker({
      url: s.url,
      protocolVersion: s.protocolVersion,
      unit: c.unit,
      credentialsDir: credentialsDir(c.paths.credentialsDir),
      caFile: s.caFile,
      certFile: s.certFile,
      keyFile: s.keyFile,
      timeoutMs: timeoutS * 1000,
    }),
  ];
}

/** Runs every check and returns the report (nothing printed). */
export async function runSelftest(o: SelftestOptions): Promise<SelftestReport> {
  const log = o.log ?? createLogger({ level: 'warn', destination: process.stderr });
  const versions: Record<string, string> = { software: SOFTWARE_VERSION, node: process.version };
  const checks: SelftestCheck[] = [];
  let c: Config;
  try {
    c = loadConfig(o.config) as Config;
    checks.push({ name: 'config', result: 'pass', detail: o.config });
  } catch (err) {
    const details = isAlprError(err) ? err.details.join('; ') : '';
    const detail = `${(err as Error).message}${details ? `: ${details}` : ''}`;
    checks.push({ name: 'config', result: 'fail', detail });
    return buildReport(null, Date.now(), versions, checks);
  }
  const h = healthSection.parse((c as { health?: unknown }).health ?? {});
  checks.push(...(await systemChecks(c, h)));
  // Amber, not a failure: a unit without a TPM runs, but its card gives its keys away.
  checks.push(
    keysCheck(keySealingWarnings(c.paths.keySealing, keySources(c, credentialsDir(c.paths.credentialsDir)))),
  );
  checks.push(await runModel(c, o, log, versions));
  const [cams, gps, broker] = await Promise.all([
    runCameras(c, o.cameraTimeoutS, log),
    runGps(c, h, o.gpsTimeoutS ?? 60, log),
    runBroker(c, o.brokerTimeoutS ?? 10),
  ]);
  checks.push(...cams, ...gps, ...broker);
  return buildReport(c.unit.id, Date.now(), versions, checks);
}

/** `alpr selftest`: exit 0 when no check failed (green, or amber with warnings), 1 otherwise. */
export function registerSelftestCommand(program: Command): void {
  program
    .command('selftest')
    .description(
      'Garage self-test (run it with the daemon stopped: it opens the cameras and the GPS): config, disk, clock, CPU temperature, the model on a reference image, cameras, GPS fix, the broker accepts the unit certificate',
    )
    .option('-c, --config <file>', 'unit config', DEFAULT_CONFIG)
    .option('--image <file>', 'reference image (default: the shipped one, which shows 7ABC123)')
    .option('--expect <plate>', 'plate the reference image shows (checked when given)')
    .option('--budget-ms <ms>', 'time the model may take on the reference image', Number, 2000)
    .option('--camera-timeout <seconds>', 'wait this long for each camera’s first frame', Number, 15)
    .option('--gps-timeout <seconds>', 'wait this long for a GPS fix', Number, 60)
    .option(
      '--broker-timeout <seconds>',
      'wait this long for the broker to accept the connection',
      Number,
      10,
    )
    .option('--json', 'print the report as JSON')
    .option('--save <file>', 'also write the report as JSON to this file (keep it for the inspection record)')
    .action(
      async (o: {
        config: string;
        image?: string;
        expect?: string;
        budgetMs: number;
        cameraTimeout: number;
        gpsTimeout: number;
        brokerTimeout: number;
        json?: boolean;
        save?: string;
      }) => {
        const report = await runSelftest({
          config: o.config,
          image: o.image,
          expect: o.expect,
          budgetMs: o.budgetMs,
          cameraTimeoutS: o.cameraTimeout,
          gpsTimeoutS: o.gpsTimeout,
          brokerTimeoutS: o.brokerTimeout,
        });
        if (o.save) writeFileSync(o.save, `${JSON.stringify(report, null, 2)}\n`);
        process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatReport(report));
        process.exitCode = report.passed ? 0 : 1;
      },
    );
}
