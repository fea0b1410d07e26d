/**
 * Composition root: the only place that knows every stage. It builds them in order, starts them
 * in that order and stops them in reverse. Stages talk through the bus and the ports injected here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertsStage } from './alerts/index.ts';
import { CaptureStage } from './capture/index.ts';
import { loadConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { credentialsDir, readSecret } from './config/secrets.ts';
import { Bus } from './core/bus.ts';
import { createLogger, type Logger, stageLogger } from './core/log.ts';
import type { Stage } from './core/stage.ts';
import { AlprError, ErrorCodes, isAlprError } from './domain/errors.ts';
import { attachEvidence, buildRead } from './domain/read.ts';
import { fieldSealer } from './domain/seal.ts';
import type { ReadPosition } from './domain/types.ts';
import { GpsStage } from './gps/index.ts';
import { statusLine } from './health/format.ts';
import { HealthStage } from './health/index.ts';
import { HotlistStage } from './hotlist/index.ts';
import { HotlistSubscriber } from './hotlist/subscriber.ts';
import { createRecognizer, createWorkerPool, ctcLogProb, RecognizeStage } from './recognize/index.ts';
import { Liveness } from './notify/liveness.ts';
import { Notifier, notifierEnv } from './notify/sd-notify.ts';
import { StoreStage } from './store/index.ts';
import { SyncStage } from './sync/index.ts';
import { hotPlateRecord } from './sync/records.ts';
import { RosterSubscriber } from './sync/roster.ts';
import { telemetryPort } from './telemetry-port.ts';
import { TrackStage } from './track/index.ts';
import { WebStage } from './web/index.ts';
import { parseRoster } from './web/roster.ts';

const SOFTWARE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Exit codes systemd and scripts can tell apart. */
export const ExitCodes = { ok: 0, config: 2, criticalStart: 3, criticalRuntime: 4 } as const;

type Factory = () => Stage | Promise<Stage>;

/** A placeholder for a stage the config turns off. */
function disabledStage(name: string): Stage {
  return { name: `${name} (disabled)`, critical: false, start: async () => {}, stop: async () => {} };
}

export class Daemon {
  readonly bus: Bus;
  private readonly started: Stage[] = [];
  private readonly failed: string[] = [];
  private stopping: Promise<void> | null = null;
  health: HealthStage | null = null;

  constructor(
    readonly config: Readonly<Config>,
    readonly log: Logger,
  ) {
    this.bus = new Bus((event, err) => log.error({ event, err }, 'bus handler failed'));
  }

  /** Builds and starts every stage in order. A critical stage that fails stops the rest and throws. */
  async start(): Promise<void> {
    for (const make of this.plan()) {
      let stage: Stage | null = null;
      try {
        stage = await make();
        await stage.start();
        this.started.push(stage);
        this.log.debug({ stage: stage.name }, 'stage started');
      } catch (err) {
        const name = stage?.name ?? 'unknown';
        if (!stage || stage.critical) {
          this.log.fatal({ stage: name, err }, 'critical stage failed to start');
          await this.stop();
          throw new AlprError(ErrorCodes.STAGE_START, `${name} failed to start: ${(err as Error).message}`, {
            cause: err,
          });
        }
        this.failed.push(name);
        this.log.error({ stage: name, err }, 'stage failed to start; running without it');
        this.bus.emit('health', {
          component: name,
          light: 'red',
          reason: `failed to start: ${(err as Error).message}`,
          at: Date.now(),
        });
      }
    }
    this.log.info({ stages: this.started.map((s) => s.name), failed: this.failed }, 'daemon started');
  }

  /** Stops started stages in reverse order; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      while (this.started.length) {
        const s = this.started.pop()!;
        try {
          await s.stop();
        } catch (err) {
          this.log.error({ stage: s.name, err }, 'stage failed to stop cleanly');
        }
      }
      this.log.info('daemon stopped');
    })();
    return this.stopping;
  }

  /** The stages in start order. Later factories may use stages built by earlier ones. */
  private plan(): Factory[] {
    const { config: c, bus, log } = this;
    const dataDir = c.paths.dataDir;
    const creds = credentialsDir(c.paths.credentialsDir);
    const child = (n: string) => stageLogger(log, n);
    let store: StoreStage | null = null;
    let hotlist: HotlistStage | null = null;
    let gps: GpsStage | null = null;
    let capture: CaptureStage | null = null;
    let web: WebStage | null = null;
    const startedAt = Date.now();
    let modelVersion = 'unknown';

    const factories: Factory[] = [
      () => {
        this.health = new HealthStage({
          bus,
          log: child('health'),
          config: c.health,
          dataDir,
          expected: {
            gps: c.gps.type !== 'none',
            server: c.sync.type !== 'none',
            cameras: c.cameras.length > 0,
          },
          required: ['storage', 'model'],
          // GPS re-reports every 30 s and sync every 60 s: silence past these limits turns them red.
          staleAfterMs: { gps: 90_000, server: 180_000 },
          // A replayed log carries its recording's time: comparing the clock with it means nothing.
          clockOffsetMs: () => (c.gps.type === 'replay' ? null : (gps?.clockOffsetMs() ?? null)),
          versions: () => ({ software: SOFTWARE_VERSION, model: modelVersion }),
          // alpr status: queue depth and last acknowledged read. The store is built after health.
          upload: () =>
            store && c.sync.type !== 'none'
              ? { depth: store.outbox().depth(), lastAckedAt: store.outbox().lastAckedAt() }
              : null,
          // alpr status: fps each camera delivers and recognition reads. Capture is built last.
          cameras: () =>
            capture?.stats().map((s) => ({ id: s.id, fpsIn: s.fpsIn, fpsProcessed: s.fpsProcessed })) ?? null,
        });
        return this.health;
      },
      () => {
        store = new StoreStage({ bus, log: child('store'), config: c.store, dataDir, credentialsDir: creds });
        return store;
      },
      // Before the hot list, so the page hears its first health report.
      () => {
        if (!c.web.enabled) return disabledStage('web');
        web = new WebStage({
          bus,
          log: child('web'),
          config: c.web,
          dataDir,
          mode: c.unit.mode,
          // Audit details and notes are sealed with the store key (its own sub-keys: context 'web').
          cipher: fieldSealer(c.store.encryption, () => readSecret(creds, c.store.keyFile), 'web'),
          lights: () => this.health!.snapshot(),
          onLights: (fn) => this.health!.onChange(fn),
          healthReports: () => this.health!.body().components,
          search: store!.search(),
          images: store!.images(),
          hitHistory: store!.hitHistory(),
          records: store!.records(),
          addHotPlate: (input) => hotlist!.addOfficerPlate(input),
        });
        return web;
      },
      () => {
        hotlist = new HotlistStage({
          bus,
          log: child('hotlist'),
          config: c.hotlist,
          dbPath: join(dataDir, 'hotlist.sqlite'),
          // Officer hot plates go upstream so the central server knows about them.
          onOfficerPlate: (e) => void store!.records().put(hotPlateRecord(e, (t) => store!.tag(t))),
          // hits are judged by the recognizer's own output: the entry's CTC probability
          scoreText: (ev, text) => ctcLogProb(ev.probs, ev.T, ev.K, text),
        });
        return hotlist;
      },
      // Started before recognize/track so that it stops after them: a track flushed on stop still
      // becomes a stored read.
      () =>
        this.readsGlue(
          () => gps,
          () => web?.currentOperator() ?? null,
          () => store!,
          () => modelVersion,
          () => Object.fromEntries((hotlist?.lists() ?? []).map((l) => [l.name, l.version])),
        ),
      async () => {
        // One worker thread per `recognize.workers` (each with its own models); in-thread without.
        const workers = c.recognize.worker ? c.recognize.workers : 1;
        const recognizer = c.recognize.worker
          ? await createWorkerPool(c.recognize, child('recognize'), workers)
          : await createRecognizer(c.recognize, child('recognize'));
        modelVersion = recognizer.modelVersion;
        bus.emit('health', {
          component: 'model',
          light: 'green',
          reason: `warm (${modelVersion})`,
          at: Date.now(),
        });
        return new RecognizeStage({
          bus,
          log: child('recognize'),
          recognizer,
          minConfidence: c.recognize.minConfidence,
          concurrency: workers,
        });
      },
      () =>
        new TrackStage({
          bus,
          log: child('track'),
          config: c.track,
          // A frame read on the hot list settles its track at once: hits never wait for the vehicle to leave.
          isHot: (r) =>
            hotlist!.match({ plate: r.text, candidates: r.candidates, state: r.state }, [r.evidence ?? []])
              .length > 0,
        }),
    ];
    if (c.gps.type !== 'none') {
      factories.push(() => {
        gps = new GpsStage({ bus, log: child('gps'), config: c.gps });
        return gps;
      });
    }
    if (c.sync.type === 'mqtt') {
      const sync = c.sync;
      // Signed hot-list updates from admins arrive over the same broker, on their own connection.
      const brokerOptions = () => {
        const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
        if (sync.caFile) tls.ca = readSecret(creds, sync.caFile);
        if (sync.certFile) tls.cert = readSecret(creds, sync.certFile);
        if (sync.keyFile) tls.key = readSecret(creds, sync.keyFile);
        return { url: sync.url, options: { ...tls, rejectUnauthorized: true } };
      };
      // Signed rosters from admins: who may sign in on the officer's page.
      factories.push(
        () =>
          new RosterSubscriber({
            mqtt: brokerOptions(),
            topicBase: sync.topicBase,
            agency: c.unit.agency,
            unitId: c.unit.id,
            adminKeys: c.hotlist.adminKeys,
            stateFile: join(dataDir, 'roster.applied'),
            applyRoster: async (users) => {
              if (!web) throw new Error('the officer page is disabled (web.enabled: false)');
              web.applyRoster(await parseRoster(JSON.stringify(users), 'json'));
            },
            log: child('roster-sync'),
          }),
      );
      factories.push(() => {
        return new HotlistSubscriber({
          mqtt: brokerOptions(),
          topicBase: sync.topicBase,
          agency: c.unit.agency,
          unitId: c.unit.id,
          adminKeys: c.hotlist.adminKeys,
          target: hotlist!,
          log: child('hotlist-sync'),
          chunkTimeoutMs: c.hotlist.chunkTimeoutS * 1000,
        });
      });
      factories.push(() => {
        // Officer plates entered with the CLI (another process) never passed the stage's callback:
        // queue every current one once per start; ids are stable, the server keeps one copy.
        for (const e of hotlist!.officerPlates())
          store!.records().put(hotPlateRecord(e, (t) => store!.tag(t)));
        return new SyncStage({
          bus,
          log: child('sync'),
          config: c.sync,
          unit: { id: c.unit.id, agency: c.unit.agency },
          credentialsDir: creds,
          outbox: store!.outbox(),
          records: store!.records(),
          holds: store!.holds(),
          telemetry: telemetryPort({
            health: this.health!,
            cameras: () => capture?.stats() ?? null,
            hotlists: () => hotlist?.lists() ?? null,
            versions: () => ({ software: SOFTWARE_VERSION, model: modelVersion, node: process.version }),
            dataDir,
            temperaturePath: c.health.temperature.path,
            selftestFile: join(dataDir, c.telemetry.selftestFile),
            startedAt,
          }),
          telemetryConfig: c.telemetry,
        });
      });
    }
    factories.push(() => new AlertsStage({ bus, log: child('alerts'), config: c.alerts }));
    // Cameras last: frames flow only once everything downstream is ready.
    factories.push(() => {
      capture = new CaptureStage({ bus, log: child('capture'), cameras: c.cameras, credentialsDir: creds });
      return capture;
    });
    return factories;
  }

  /**
   * Glue owned by the root: a settled detection + the position at capture time = a read, stored
   * with its hits in one transaction; its plate crop and overview image go to the store beside it.
   */
  private readsGlue(
    gps: () => GpsStage | null,
    operator: () => string | null,
    store: () => StoreStage,
    modelVersion: () => string,
    hotlistVersions: () => Record<string, number>,
  ): Stage {
    const { bus, config: c } = this;
    let off: (() => void) | null = null;
    return {
      name: 'reads',
      critical: true,
      start: async () => {
        off = bus.on('detection', (det) => {
          const g = gps();
          const position: ReadPosition = g
            ? g.position(det.frame.capturedAt)
            : { lat: null, lon: null, reason: 'no-gps' };
          const read = buildRead(det, position, {
            unitId: c.unit.id,
            operatorId: operator(),
            modelVersion: modelVersion(),
            hotlistVersions: hotlistVersions(),
          });
          // The hot list raises hits while the read is announced: the store keeps the read and
          // those hits in one transaction (never one without the other after a crash).
          attachEvidence(read, det.evidence ?? [det.reading.evidence ?? []]);
          store().putReadWithHits(read, () => bus.emit('read', read));
          if (det.plateJpeg) store().putImage(read.id, 'plate', det.plateJpeg);
          if (det.overviewJpeg) store().putImage(read.id, 'overview', det.overviewJpeg);
        });
      },
      stop: async () => off?.(),
    };
  }
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
      process.stderr.write(
        `alpr: ${err.message} [${err.code}]\n${err.details.map((d) => `  ${d}\n`).join('')}`,
      );
      process.exit(ExitCodes.config);
    }
    throw err;
  }
  const log = createLogger({ level: config.log.level });
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
    await notifier.status(`start failed: ${(err as Error).message}`);
    process.exit(ExitCodes.criticalStart);
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
  process.once('SIGINT', () => process.exit(130));
  await notifier.stopping();
  liveness.stop();
  await daemon.stop();
  notifier.close();
  process.exit(ExitCodes.ok);
}
