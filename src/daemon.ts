/**
 * Composition root: the only place that knows every stage. It builds them in order, starts them
 * in that order and stops them in reverse. Stages talk through the bus and the ports injected here.
 */
import { join } from 'node:path';
import { AlertsStage } from './alerts/index.ts';
import { CaptureStage } from './capture/index.ts';
import type { Config } from './config/schema.ts';
import { credentialsDir, keySealingWarnings, readSecret, keySources } from './config/secrets.ts';
import { Bus } from './core/bus.ts';
import { readCrashRecords, sourcesToDrop } from './core/crash-guard.ts';
import { FailedStages } from './core/failed-stages.ts';
import { StageRetries } from './core/stage-retry.ts';
import { SOFTWARE_VERSION } from './core/version.ts';
import { type Logger, stageLogger } from './core/log.ts';
import { disabledStage, factory, type Stage, type StageFactory } from './core/stage.ts';
import { AlprError, ErrorCodes } from './domain/errors.ts';
import { clockConfirmed, clockMark } from './domain/read.ts';
import { fieldSealer } from './domain/seal.ts';
import type { HealthReport } from './domain/types.ts';
import { GpsStage } from './gps/index.ts';
import { HealthStage } from './health/index.ts';
import { lightOf } from './health/lights.ts';
import { listKind, SPECIAL_MAX_AGE_MS, STATE_MAX_AGE_MS } from './hotlist/health.ts';
import { HotlistStage } from './hotlist/index.ts';
import { SharedSession } from './core/broker-session.ts';
import { HotlistSubscriber } from './hotlist/subscriber.ts';
import { createRecognizer, createWorkerPool, ctcLogProb, RecognizeStage } from './recognize/index.ts';
import { StoreStage } from './store/index.ts';
import { SyncStage } from './sync/index.ts';
import { hotPlateRecord } from './sync/records.ts';
import { RosterSubscriber } from './sync/roster.ts';
import { telemetryPort } from './telemetry-port.ts';
import { TrackStage } from './track/index.ts';
import { type HotlistAge, type LightPart, WebStage } from './web/index.ts';
import { parseRoster } from './web/roster.ts';
import { readsGlue } from './reads-glue.ts';

export class Daemon {
  readonly bus: Bus;
  private readonly started: Stage[] = [];
  private readonly failed: string[] = [];
  /** Red reports of stages that failed to start, repeated so the light keeps its reason. */
  private readonly failedReports: FailedStages;
  private stopping: Promise<void> | null = null;
  /** Sources left out at this start by the crash-loop guard (core/crash-guard.ts), with reasons. */
  private dropped = new Map<string, string>();
  health: HealthStage | null = null;

  /** Stages that failed to start, tried again until they start (core/stage-retry.ts). */
  private readonly retries: StageRetries;

  constructor(
    readonly config: Readonly<Config>,
    readonly log: Logger,
  ) {
    this.bus = new Bus((event, err) => log.error({ event, err }, 'bus handler failed'));
    this.failedReports = new FailedStages((r) => this.bus.emit('health', r));
    this.retries = new StageRetries(config.health.stageRetryS * 1000, {
      attempt: (f) => this.attempt(f),
      started: (f, stage, tries) => {
        this.started.push(stage);
        const i = this.failed.indexOf(f.name);
        if (i >= 0) this.failed.splice(i, 1);
        const red = this.failedReports.remove(f.component);
        if (red) this.health?.withdraw(red);
        this.log.info({ stage: f.name, tries }, 'stage started after failing to start');
      },
      failedAgain: (f, err, tries, nextMs) => {
        this.log.info({ stage: f.name, tries, retryInMs: nextMs, err }, 'stage failed to start again');
        this.failedReports.add(f.component, failedReason(f, err));
      },
    });
  }

  /**
   * Builds and starts every stage in order. A critical stage that fails stops the rest and throws;
   * any other is logged, shown red on its light with the reason, and left out: reading, matching
   * and alerting go on without the server link, GPS, cameras or the officer page.
   */
  async start(): Promise<void> {
    this.dropped = sourcesToDrop(readCrashRecords(this.config.paths.dataDir));
    for (const f of this.plan()) {
      let stage: Stage | null = null;
      try {
        stage = await f.make();
        await stage.start();
        this.started.push(stage);
        this.log.debug({ stage: stage.name }, 'stage started');
      } catch (err) {
        const reason = (err as Error).message;
        if (stage?.critical ?? f.critical) {
          this.log.fatal({ stage: f.name, err }, 'critical stage failed to start');
          await this.stop();
          throw new AlprError(ErrorCodes.STAGE_START, `${f.name} failed to start: ${reason}`, { cause: err });
        }
        await this.isolate(f, stage, err);
      }
    }
    for (const [source, reason] of this.dropped) {
      this.log.error({ source, reason }, 'input source left out: it crashed the unit twice in a row');
      this.failedReports.add(source, reason);
    }
    this.failedReports.start();
    this.log.info({ stages: this.started.map((s) => s.name), failed: this.failed }, 'daemon started');
  }

  /**
   * A non-critical stage failed: release what it may have opened, say so, run on without it, and
   * try it again later.
   */
  private async isolate(f: StageFactory, stage: Stage | null, err: unknown): Promise<void> {
    this.failed.push(f.name);
    this.log.error({ stage: f.name, err }, 'stage failed to start; running without it, trying again later');
    await this.release(f, stage);
    this.failedReports.add(f.component, failedReason(f, err));
    if (f.retry !== false) this.retries.schedule(f);
  }

  /** One more try at a stage that failed to start: built anew and started, or released. */
  private async attempt(f: StageFactory): Promise<Stage> {
    let stage: Stage | null = null;
    try {
      stage = await f.make();
      await stage.start();
      return stage;
    } catch (err) {
      await this.release(f, stage);
      throw err;
    }
  }

  /** The root drops its references to a stage that did not start, and the stage what it opened. */
  private async release(f: StageFactory, stage: Stage | null): Promise<void> {
    f.failed?.();
    try {
      await stage?.stop();
    } catch (stopErr) {
      this.log.debug({ stage: f.name, err: stopErr }, 'stage failed to stop after a failed start');
    }
  }

  /** Stages that could not be built or started (the unit runs without them). */
  get failedStages(): readonly string[] {
    return this.failed;
  }

  /** Stops started stages in reverse order; safe to call twice. */
  stop(): Promise<void> {
    this.failedReports.stop();
    this.stopping ??= (async () => {
      await this.retries.stop();
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
  private plan(): StageFactory[] {
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
    const keyWarnings = keySealingWarnings(c.paths.keySealing, keySources(c, creds));
    for (const w of keyWarnings) log.warn(w);

    // GPS time minus the system clock, for the clock light, the reads' mark and the purge. A
    // replayed log carries its recording's time: comparing the clock with it means nothing.
    const gpsClockOffset = () => (c.gps.type === 'replay' ? null : (gps?.clockOffsetMs() ?? null));

    const factories: StageFactory[] = [
      // Not started again after a failed start: the page, the telemetry and the service's
      // status line hold the instance it made (an endpoint that cannot listen is only amber).
      noRetry(
        factory('health', false, 'health', () => {
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
            clockOffsetMs: gpsClockOffset,
            versions: () => ({ software: SOFTWARE_VERSION, model: modelVersion }),
            warnings: () => keyWarnings,
            // alpr status: queue depth and last acknowledged read. The store is built after health.
            upload: () => (store && c.sync.type !== 'none' ? store.uploadInfo() : null),
            // alpr status: fps each camera delivers and recognition reads. Capture is built last.
            cameras: () =>
              capture?.stats().map((s) => ({ id: s.id, fpsIn: s.fpsIn, fpsProcessed: s.fpsProcessed })) ??
              null,
          });
          return this.health;
        }),
      ),
      factory('store', true, 'storage', () => {
        store = new StoreStage({
          bus,
          log: child('store'),
          config: c.store,
          dataDir,
          credentialsDir: creds,
          // the GPS stage is built later: asked at each purge
          clockConfirmed: () => clockConfirmed(c.gps.type, gpsClockOffset(), c.health.clock.maxOffsetS),
        });
        return store;
      }),
      // Before the hot list, so the page hears its first health report.
      factory(
        'web',
        false,
        'web',
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
            // web.tls: the page's certificate and key come from the credentials folder, like the unit's
            ...(c.web.tls
              ? { tls: { cert: readSecret(creds, c.web.certFile), key: readSecret(creds, c.web.keyFile) } }
              : {}),
            records: store!.records(),
            addHotPlate: (input) => hotlist!.addOfficerPlate(input),
            officerPlates: () => hotlist?.officerPlates() ?? [],
            cancelHotPlate: (plate, created) => hotlist!.cancelOfficerPlate(plate, created) !== null,
            lightParts: () => lightParts(this.health!.body().components),
            hotlists: () => hotlistAges(hotlist?.lists() ?? []),
            upload: () => (c.sync.type !== 'none' ? store!.uploadInfo() : null),
          });
          return web;
        },
        // Without the page, reads carry no operator rather than asking a stage that never opened.
        () => {
          web = null;
        },
      ),
      factory('hotlist', true, 'hotlist', () => {
        hotlist = new HotlistStage({
          bus,
          log: child('hotlist'),
          config: c.hotlist,
          sealer: fieldSealer(c.store.encryption, () => readSecret(creds, c.store.keyFile), 'hotlist'),
          dbPath: join(dataDir, 'hotlist.sqlite'),
          // Officer hot plates go upstream so the central server knows about them.
          onOfficerPlate: (e) => void store!.records().put(hotPlateRecord(e, (t) => store!.tag(t))),
          // hits are judged by the recognizer's own output: the entry's CTC probability
          scoreText: (ev, text) => ctcLogProb(ev.probs, ev.T, ev.K, text),
          // a new list leaves the store's watermark and reserve free (both on the data folder)
          keepFreeBytes: (c.store.minFreeMb + c.store.reserveMb) * 2 ** 20,
        });
        return hotlist;
      }),
      // Started before recognize/track so that it stops after them: a track flushed on stop still
      // becomes a stored read.
      factory('reads', true, 'reads', () =>
        readsGlue(
          this.bus,
          this.config.unit.id,
          () => gps,
          () => web?.currentOperator() ?? null,
          () => store!,
          () => modelVersion,
          () => Object.fromEntries((hotlist?.lists() ?? []).map((l) => [l.name, l.version])),
          () => clockMark(gpsClockOffset(), c.health.clock.maxOffsetS),
        ),
      ),
      factory('recognize', true, 'model', async () => {
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
          hotlistFloor: c.recognize.hotlistFloor,
          concurrency: workers,
          escalation: c.recognize.escalation,
          legendLooks: c.recognize.state,
        });
      }),
      factory(
        'track',
        true,
        'track',
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
      ),
    ];
    if (c.gps.type !== 'none' && !this.dropped.has('gps')) {
      factories.push(
        factory(
          'gps',
          false,
          'gps',
          () => {
            gps = new GpsStage({ bus, log: child('gps'), config: c.gps });
            return gps;
          },
          // Reads then say `no-gps` rather than asking a stage that never started.
          () => {
            gps = null;
          },
        ),
      );
    }
    if (c.sync.type === 'mqtt') {
      const sync = c.sync;
      // One connection per unit, the upload link's: signed hot lists and rosters from admins
      // arrive on it too (a broker that ties client ids to certificates allows one per unit).
      const session = new SharedSession();
      // Signed rosters from admins: who may sign in on the officer's page.
      factories.push(
        factory(
          'roster-sync',
          false,
          'server:roster-sync',
          () =>
            new RosterSubscriber({
              session: session.handle(),
              topicBase: sync.topicBase,
              agency: c.unit.agency,
              unitId: c.unit.id,
              adminKeys: c.hotlist.adminKeys,
              stateFile: join(dataDir, 'roster.applied'),
              reconnect: { minMs: sync.reconnectMinMs, maxMs: sync.reconnectMaxMs },
              applyRoster: async (users, rosterKey) => {
                if (!web) throw new Error('the officer page is disabled (web.enabled: false)');
                web.applyRoster(await parseRoster(JSON.stringify(users), 'json', { keyed: true }), rosterKey);
              },
              // The copy's PIN key is sealed to this unit's certificate: its TLS key opens it.
              unitKey: () => {
                if (!sync.keyFile)
                  throw new AlprError(
                    ErrorCodes.ROSTER_KEY,
                    "no TLS key (sync.keyFile): a roster's PIN key opens with the unit's TLS key only",
                  );
                return readSecret(creds, sync.keyFile);
              },
              log: child('roster-sync'),
            }),
        ),
      );
      factories.push(
        factory('hotlist-sync', false, 'server:hotlist-sync', () => {
          return new HotlistSubscriber({
            session: session.handle(),
            topicBase: sync.topicBase,
            agency: c.unit.agency,
            unitId: c.unit.id,
            adminKeys: c.hotlist.adminKeys,
            target: hotlist!,
            log: child('hotlist-sync'),
            chunkTimeoutMs: c.hotlist.chunkTimeoutS * 1000,
            reconnect: { minMs: sync.reconnectMinMs, maxMs: sync.reconnectMaxMs },
          });
        }),
      );
      factories.push(
        factory('sync', false, 'server', () => {
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
            reconcile: store!.reconcile(),
            adminKeys: c.hotlist.adminKeys,
            clientIdFile: join(dataDir, 'mqtt-client-id'),
            session,
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
        }),
      );
    }
    factories.push(
      factory(
        'alerts',
        false,
        'alerts',
        () => new AlertsStage({ bus, log: child('alerts'), config: c.alerts }),
      ),
    );
    // Cameras last: frames flow only once everything downstream is ready.
    factories.push(
      factory(
        'capture',
        false,
        'camera:all',
        () => {
          capture = new CaptureStage({
            bus,
            log: child('capture'),
            cameras: c.cameras.filter((cam) => !this.dropped.has(`camera:${cam.id}`)),
            credentialsDir: creds,
          });
          return capture;
        },
        () => {
          capture = null;
        },
      ),
    );
    return factories;
  }
}

/** The light's words for a stage that did not start: what failed, and that the unit tries again. */
function failedReason(f: StageFactory, err: unknown): string {
  const again = f.retry === false ? 'restart the unit once it is mended' : 'the unit tries again';
  return `${f.name} failed to start: ${(err as Error).message} (${again})`;
}

const noRetry = (f: StageFactory): StageFactory => ({ ...f, retry: false });

/** The page's view of the health reports: each component under the light it folds into. */
function lightParts(reports: readonly HealthReport[]): Record<string, LightPart[]> {
  const out: Record<string, LightPart[]> = {};
  for (const r of reports) {
    const name = lightOf(r.component);
    out[name] = [...(out[name] ?? []), { component: r.component, light: r.light, reason: r.reason }];
  }
  return out;
}

/** The page's view of the loaded hot lists, with the age each may reach (policy rule 5). */
function hotlistAges(
  lists: readonly { name: string; version: number; issuedAt: number; entries: number }[],
): HotlistAge[] {
  const limit = { state: STATE_MAX_AGE_MS, special: SPECIAL_MAX_AGE_MS, local: null } as const;
  return lists.map((l) => ({
    name: l.name,
    version: l.version,
    issuedAt: l.issuedAt,
    entries: l.entries,
    maxAgeMs: limit[listKind(l.name)],
  }));
}
