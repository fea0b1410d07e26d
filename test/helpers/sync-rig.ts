/**
 * The server side of the sync tests and benchmarks, built one way: a real mosquitto on a free
 * loopback port, the reference central sink (in this process, or in its own as the server would
 * be, so that a benchmark's RSS is the unit's alone), temp folders with a store key, and store +
 * sync stages wired on one bus as the daemon wires them. `close()` undoes all of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Bus } from '../../src/core/bus.ts';
import { createLogger, type Logger } from '../../src/core/log.ts';
import { StoreStage } from '../../src/store/index.ts';
import { SyncStage, type SyncStageOptions } from '../../src/sync/index.ts';
import { CentralSink, type SinkCounts, type SinkOptions, sinkCounts } from '../../src/sync/sink.ts';
import { type Broker, type BrokerOptions, destroyMosquitto, startMosquitto } from './mosquitto.ts';
import { storeConfig, syncConfig, tempDirs, UNIT } from './sync-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface RigOptions {
  /** Temp folder prefix. */
  prefix?: string;
  broker?: BrokerOptions;
  /** `inline` (default): a CentralSink in this process; `process`: `alpr central-sink` in its own; `none`. */
  sink?: 'inline' | 'process' | 'none';
  /** Extra options (TLS material, client id) for the inline sink, made once the broker runs. */
  sinkOptions?: (broker: Broker) => Partial<SinkOptions>;
}

export interface StagesOptions {
  /** Store folder; the rig's data folder by default. */
  dataDir?: string;
  /** Overrides of the test store config (storeConfig). */
  store?: Record<string, unknown>;
  /** Overrides of the test sync config (syncConfig); the URL is the rig's broker unless given. */
  sync?: Record<string, unknown>;
  bus?: Bus;
  log?: Logger;
  /** Other SyncStage options (records, holds, telemetry, healthIntervalMs, credentialsDir…). */
  wire?: (store: StoreStage) => Partial<SyncStageOptions>;
  /** Start the sync stage too (default true); the store always starts. */
  startSync?: boolean;
}

export interface Stages {
  bus: Bus;
  log: Logger;
  store: StoreStage;
  sync: SyncStage;
}

export interface SyncRig {
  broker: Broker;
  dirs: ReturnType<typeof tempDirs>;
  /** The sink's SQLite file. */
  sinkFile: string;
  /** The in-process sink (throws unless the rig runs one). */
  readonly sink: CentralSink;
  /** The sink's own process (sink: 'process'), else null. */
  sinkProcess: SinkProcess | null;
  /** What the sink has stored so far, read from its file (works for every sink mode). */
  counts(): SinkCounts;
  /** A store and a sync stage on one bus (stopped by close(), sync first). */
  stages(opts?: StagesOptions): Promise<Stages>;
  /** Stops the stages made here, the sink and the broker; removes the temp folders. */
  close(): Promise<void>;
}

export async function startSyncRig(opts: RigOptions = {}): Promise<SyncRig> {
  const dirs = tempDirs(opts.prefix);
  const sinkFile = join(dirs.root, 'sink.sqlite');
  const made: Stages[] = [];
  let inline: CentralSink | null = null;
  let child: SinkProcess | null = null;
  const broker = await startMosquitto(opts.broker);
  const mode = opts.sink ?? 'inline';
  if (mode === 'inline') {
    const extra = opts.sinkOptions?.(broker);
    inline = new CentralSink({ url: broker.url, dbFile: sinkFile, topicBase: 'alpr', ...extra });
    await inline.start();
  } else if (mode === 'process') {
    child = await spawnSink(broker.url, sinkFile);
  }
  return {
    broker,
    dirs,
    sinkFile,
    get sink(): CentralSink {
      if (!inline) throw new Error(`this rig has no in-process sink (sink: ${mode})`);
      return inline;
    },
    sinkProcess: child,
    counts: () => (inline ? inline.counts() : readSinkCounts(sinkFile)),
    async stages(o: StagesOptions = {}): Promise<Stages> {
      const bus = o.bus ?? new Bus();
      const log = o.log ?? createLogger({ level: 'error' });
      const store = new StoreStage({
        bus,
        log,
        config: storeConfig(o.store),
        dataDir: o.dataDir ?? dirs.data,
        credentialsDir: dirs.creds,
      });
      await store.start();
      const sync = new SyncStage({
        bus,
        log,
        config: syncConfig(broker.url, o.sync),
        unit: UNIT,
        outbox: store.outbox(),
        ...o.wire?.(store),
      });
      const s = { bus, log, store, sync };
      made.push(s);
      if (o.startSync ?? true) await sync.start();
      return s;
    },
    async close(): Promise<void> {
      for (const s of made.splice(0).reverse()) {
        await s.sync.stop();
        await s.store.stop();
      }
      await inline?.stop();
      await child?.stop();
      await destroyMosquitto(broker);
      rmSync(dirs.root, { recursive: true, force: true });
    },
  };
}

/** Counts in a sink file, opened read-only (the sink may be writing it). */
export function readSinkCounts(file: string): SinkCounts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return sinkCounts(db);
  } finally {
    db.close();
  }
}

export interface SinkProcess {
  child: ChildProcess;
  /** SIGTERM, wait; returns the counts the sink printed on its way out and its exit code. */
  stop(): Promise<{ counts: SinkCounts; code: number | null }>;
}

/** `alpr central-sink` in its own process, as the server would run; resolves once it is subscribed. */
export async function spawnSink(url: string, dbFile: string): Promise<SinkProcess> {
  const args = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'central-sink', '--url', url, '--db', dbFile];
  const child = spawn(process.execPath, [...args, '--report-every', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; i < 600 && !err.includes('subscribed') && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 50));
  if (!err.includes('subscribed')) {
    child.kill('SIGKILL');
    throw new Error(`central-sink did not start: ${err}`);
  }
  let stopped: Promise<{ counts: SinkCounts; code: number | null }> | null = null;
  return {
    child,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        const code = await exited;
        return { counts: JSON.parse(out.trim().split('\n').at(-1) || '{}') as SinkCounts, code };
      })();
      return stopped;
    },
  };
}
