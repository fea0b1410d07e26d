import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Config } from '../config/schema.ts';
import type { SharedSession } from '../core/broker-session.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import { guarded, RejectCounter } from '../core/rejects.ts';
import { subscribeWithRetry } from '../core/subscribe-retry.ts';
import type { Stage } from '../core/stage.ts';
import type { TelemetryConfig } from '../config/sections/telemetry.ts';
import type { HoldPort, OutboxPort, ReconcilePort, RecordQueuePort, TelemetryPort } from '../domain/ports.ts';
import { adminKeyMap } from '../domain/signed.ts';
import type { Light } from '../domain/types.ts';
import {
  applyHoldCommand,
  clientOptions,
  hostNetworkKey,
  linkClientId,
  loadTls,
  sleep,
  withTimeout,
} from './link.ts';
import { RecordDrain } from './records.ts';
import { UnitReconciler } from './resend.ts';
import { backoffMs, describeMqttError, LightReporter, refusesMqtt5 } from './state.ts';
import { TelemetryPublisher } from './telemetry.ts';
import { payloads, topics } from './topics.ts';
import { REFUSED_RETRY_MS, Uploader } from './uploader.ts';

type MqttConfig = Extract<Config['sync'], { type: 'mqtt' }>;

export interface SyncStageOptions {
  bus: Bus;
  log: Logger;
  config: Config['sync'];
  unit: { id: string; agency: string };
  credentialsDir?: string;
  outbox: OutboxPort;
  /** Other records for the server (hit states, shift checks, audit rows, officer hot plates): sent after hits, before reads. */
  records?: RecordQueuePort;
  /** Where evidence-hold commands from the server go; without it they are refused. */
  holds?: HoldPort;
  /**
   * What the unit holds as delivered (tallies for the server) and where the server's resend
   * commands go (reconcile.ts); without it neither is sent nor obeyed.
   */
  reconcile?: ReconcilePort;
  /**
   * Where the link's unguessable client-id suffix is kept (linkClientId); without it the id is
   * `alpr-<agency>-<unit>`, which any certificate can take over.
   */
  clientIdFile?: string;
  /** The admin keys the unit pins (hotlist.adminKeys): hold commands must be signed by one. */
  adminKeys?: readonly { id: string; publicKey: string }[];
  /**
   * The unit's one broker connection, shared: the hot-list and roster subscribers listen on the
   * link's connection (a broker that binds client ids to certificates allows one per unit).
   */
  session?: SharedSession;
  now?: () => number;
  /** How often the server light is re-evaluated (ms). */
  healthIntervalMs?: number;
  /** The unit's health lights and heartbeat, published retained on `…/health` and `…/heartbeat`. */
  telemetry?: TelemetryPort;
  /** Telemetry periods (the `telemetry:` config section); defaults when absent. */
  telemetryConfig?: Pick<TelemetryConfig, 'healthIntervalS' | 'heartbeatIntervalS'>;
  /** The host's network addresses, as a comparable key (tests inject one); os.networkInterfaces by default. */
  networkKey?: () => string;
  /** How long a refused publish, or a kind of record with no receiver, waits to be tried again (ms; tests). */
  retryMs?: number;
}

/**
 * Store-and-forward to the agency's broker (mqtt.js, MQTT 5 or 3.1.1, QoS 1, persistent session,
 * TLS with the unit's client certificate). The Uploader (uploader.ts) drains the store's outbox in
 * priority order (hits, records, reads, images), with at most `inflight` unacknowledged publishes
 * and `batch` rows read at a time, so memory stays bounded whatever the backlog. A message leaves
 * the outbox only on its PUBACK. Each connection is a fresh client: on loss, everything not
 * acknowledged is sent again from the outbox after a jittered backoff; receivers de-duplicate on `id`.
 * Not critical: without the server link the unit keeps reading and queues.
 */
export class SyncStage implements Stage {
  readonly name = 'sync';
  readonly critical = false;
  private cfg: MqttConfig | null = null;
  private client: MqttClient | null = null;
  private gen = 0;
  private connected = false;
  private connectedAt = 0;
  private stopping = false;
  private attempt = 0;
  private downSince: number;
  private lastError: string | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private healthTimer: NodeJS.Timeout | null = null;
  private watchdogTimer: NodeJS.Timeout | null = null;
  /** When the broker last sent us any packet (CONNACK, PUBACK, PINGRESP, PUBLISH…). */
  private lastInbound = 0;
  private netKey = '';
  private reconnectTimer: NodeJS.Timeout | null = null;
  private offEnqueue: (() => void) | null = null;
  private readonly lights = new LightReporter();
  private tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {};
  private clientId: string | undefined;
  private telemetry: TelemetryPublisher | null = null;
  private records: RecordDrain | null = null;
  private uploader: Uploader | null = null;
  private reconciler: UnitReconciler | null = null;
  /** Which of `url` and `clusterUrls` the next connection goes to (advanced on failure or loss). */
  private node = 0;
  /** The broker refused MQTT 5: the next connection retries the same node with 3.1.1. */
  private sameNodeNext = false;
  /** The URL of the live connection, or null. */
  private liveUrl: string | null = null;
  /** The MQTT version spoken: the configured one, or 3.1.1 once the broker refused 5. */
  private protocol: 4 | 5 = 5;
  private readonly now: () => number;
  /** Counters for tests, benchmarks and status. */
  readonly stats = { published: 0, acked: 0, refused: 0, connects: 0 };
  /** When the broker last refused a publish (now()), or null. */
  private refusedAt: number | null = null;
  /** The light's words while kinds of record are refused (kept across reconnects). */
  private refusedReason: string | null = null;
  /** Server messages that could not be handled: counted, warned about once a minute. */
  readonly rejects: RejectCounter;

  constructor(private readonly opts: SyncStageOptions) {
    this.now = opts.now ?? Date.now;
    this.rejects = new RejectCounter(opts.log, 'server message rejected', 60_000, this.now);
    this.downSince = this.now();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The broker node the link is connected to now (one of `url` and `clusterUrls`), or null. */
  get serverUrl(): string | null {
    return this.connected ? this.liveUrl : null;
  }

  /** Tallies sent, resend commands obeyed and the records they queued again (null without reconciliation). */
  get reconcileStats(): UnitReconciler['stats'] | null {
    return this.reconciler?.stats ?? null;
  }

  /** The last link or publish error, in plain words (null once the link works). */
  get lastLinkError(): string | null {
    return this.lastError;
  }

  async start(): Promise<void> {
    const { config, log } = this.opts;
    if (config.type === 'none') {
      log.warn('sync disabled (sync.type: none): reads stay on the unit');
      this.emitHealth('amber', 'upload disabled in config (sync.type: none)');
      return;
    }
    this.cfg = config;
    this.protocol = config.protocolVersion;
    this.tls = loadTls(config, this.opts.credentialsDir, log);
    const idFile = this.opts.clientIdFile;
    this.clientId = idFile ? linkClientId(this.opts.unit, idFile) : undefined;
    this.downSince = this.now();
    this.stopping = false;
    const rq = this.opts.records;
    this.records = rq ? new RecordDrain(rq, this.opts.unit, log, this.now) : null;
    const uploader = new Uploader({
      config,
      unit: this.opts.unit,
      outbox: this.opts.outbox,
      records: this.records,
      log,
      now: this.now,
      stats: this.stats,
      onAcked: () => {
        // a held kind (no receiver, or refused) keeps its reason on the light
        if (uploader.unheardKinds.length > 0 || uploader.refusedKinds.length > 0) return;
        if (this.stats.acked === 1 || this.attempt > 0 || this.lastError) this.markHealthy();
      },
      onRefused: (err, topic) => this.onRefused(err, topic),
      onUnheard: (kinds) => this.onUnheard(kinds),
      ...(this.opts.retryMs !== undefined ? { retryMs: this.opts.retryMs } : {}),
    });
    this.uploader = uploader;
    const rp = this.opts.reconcile;
    this.reconciler = rp
      ? new UnitReconciler({
          port: rp,
          unit: this.opts.unit,
          tallyTopic: topics(config.topicBase, this.opts.unit).tally,
          intervalMs: config.tallyIntervalS * 1000,
          log,
          rejects: this.rejects,
          now: this.now,
        })
      : null;
    const offOutbox = this.opts.outbox.onEnqueue((priority) => uploader.enqueued(priority));
    const offRecords = rq?.onPut(() => uploader.pump());
    this.offEnqueue = () => {
      offOutbox();
      offRecords?.();
    };
    if (this.opts.telemetry) {
      this.telemetry = new TelemetryPublisher({
        port: this.opts.telemetry,
        unit: this.opts.unit,
        topics: topics(config.topicBase, this.opts.unit),
        config: this.opts.telemetryConfig ?? { healthIntervalS: 60, heartbeatIntervalS: 300 },
        outboxDepth: () => this.opts.outbox.depth() + (this.records?.depth() ?? 0),
        log,
        now: this.now,
      });
    }
    this.healthTimer = setInterval(() => this.tick(), this.opts.healthIntervalMs ?? 10_000);
    this.healthTimer.unref();
    this.netKey = this.networkKey();
    this.watchdogTimer = setInterval(() => this.watchdog(), 1000);
    this.watchdogTimer.unref();
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.uploader?.pause();
    this.telemetry?.disconnected();
    this.offEnqueue?.();
    for (const t of [this.healthTimer, this.watchdogTimer, ...this.timers]) if (t) clearTimeout(t);
    this.timers.clear();
    this.healthTimer = null;
    this.watchdogTimer = null;
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    if (client && this.connected && this.cfg) {
      client.removeAllListeners('message');
      const t = topics(this.cfg.topicBase, this.opts.unit);
      const offline = JSON.stringify(payloads.status(this.opts.unit, 'offline', this.now()));
      await withTimeout(
        new Promise<void>((res) => client.publish(t.status, offline, { qos: 1, retain: true }, () => res())),
        2000,
      );
      // Give PUBACKs for what is still in flight a moment to arrive: fewer resends next time.
      const until = this.now() + 2000;
      while ((this.uploader?.inflightCount ?? 0) > 0 && this.now() < until) await sleep(20);
    }
    this.connected = false;
    this.opts.session?.detach();
    this.gen++; // the close that follows is ours: no reconnect, no health change
    if (client) await withTimeout(new Promise<void>((res) => client.end(false, {}, () => res())), 3000);
    client?.end(true);
    this.uploader?.halt();
  }

  private connect(): void {
    const c = this.cfg;
    if (!c || this.stopping) return;
    const gen = ++this.gen;
    const offline = JSON.stringify(payloads.status(this.opts.unit, 'offline', this.now()));
    const options = clientOptions(
      { ...c, protocolVersion: this.protocol },
      this.opts.unit,
      this.tls,
      offline,
      this.clientId,
      this.opts.session?.packetBytes,
    );
    const urls = [c.url, ...c.clusterUrls];
    const url = urls[this.node % urls.length]!;
    const client = mqtt.connect(url, options);
    this.client = client;
    client.on('connect', (connack) => {
      if (gen !== this.gen) return;
      const recvMax = connack.properties?.receiveMaximum ?? 65_535;
      this.onConnect(client, Math.max(1, Math.min(c.inflight, recvMax)), url);
    });
    client.on('error', (err) => this.onError(err));
    client.on('close', () => this.onClose(client, gen));
    client.on('message', (topic, payload, packet) => {
      if (gen !== this.gen) return;
      this.onMessage(topic, payload, packet.retain);
      this.opts.session?.dispatch(topic, payload);
    });
    client.on('packetreceive', () => {
      if (gen === this.gen) this.lastInbound = this.now();
    });
  }

  /**
   * A broker that keeps the TCP connection open but stops answering (frozen, black-holed by a
   * middlebox) is noticed by mqtt.js's keepalive only 1.5 keepalives after its last packet. While
   * publishes wait for their PUBACK the silence is plain sooner: after one keepalive with nothing
   * from the broker, drop the connection, light amber, and reconnect with backoff.
   */
  private watchdog(): void {
    this.networkChanged();
    const client = this.client;
    const c = this.cfg;
    if (!client || !c || !this.connected || this.stopping) return;
    if ((this.uploader?.inflightCount ?? 0) === 0) return;
    const silentMs = this.now() - this.lastInbound;
    if (silentMs < c.keepaliveSeconds * 1000) return;
    const msg = `server not answering (no acknowledgement for ${Math.round(silentMs / 1000)} s)`;
    this.opts.log.warn({ silentMs }, 'server link silent; dropping the connection');
    this.lastError = msg;
    this.onClose(client, this.gen);
  }

  private onConnect(client: MqttClient, window: number, url: string): void {
    const c = this.cfg!;
    const t = topics(c.topicBase, this.opts.unit);
    this.connected = true;
    this.liveUrl = url;
    this.connectedAt = this.now();
    this.lastInbound = this.now();
    this.downSince = 0;
    this.stats.connects++;
    this.opts.log.info({ url, window, pending: this.opts.outbox.depth() }, 'connected to server');
    const online = JSON.stringify(payloads.status(this.opts.unit, 'online', this.now()));
    const gen = this.gen;
    const commands = this.reconciler ? [t.holdCommand, t.resendCommand] : [t.holdCommand];
    subscribeWithRetry(client, commands, {
      wanted: () => gen === this.gen,
      onRefused: (err) =>
        this.opts.log.warn({ err: describeMqttError(err) }, 'cannot subscribe to server commands; retrying'),
    });
    // The retained `online` status goes first; draining starts on its PUBACK. A broker that
    // refuses it (ACL, identity) would refuse the reads too: say so instead of pushing the queue.
    client.publish(t.status, online, { qos: 1, retain: true }, (err) => {
      if (gen !== this.gen) return;
      if (err) {
        this.onRefused(err);
        return;
      }
      this.markHealthy();
      this.uploader?.begin(client, window);
      this.sendTally(true);
      this.telemetry?.connected(
        (topic, body) =>
          new Promise<void>((res, rej) =>
            client.publish(topic, body, { qos: 1, retain: true }, (e) => (e ? rej(e) : res())),
          ),
      );
    });
    this.evaluate(true);
    // The hot-list and roster subscribers ride on this connection: they subscribe now.
    this.opts.session?.attach(client);
  }

  /**
   * The link works end to end: forget the backoff and the last error, and say so on the light at
   * once (it said "uploads fail: <the error from while it was down>" since the connect). Kinds of
   * record still without a receiver stay named.
   */
  private markHealthy(): void {
    this.attempt = 0;
    const kinds = this.uploader?.unheardKinds ?? [];
    const refused = (this.uploader?.refusedKinds.length ?? 0) > 0 ? this.refusedReason : null;
    const now = kinds.length > 0 ? unheardReason(kinds) : refused;
    if (now === this.lastError) return;
    this.lastError = now;
    this.evaluate(true);
  }

  private onError(err: unknown): void {
    if (this.protocol === 5 && refusesMqtt5(err)) {
      this.protocol = 4;
      this.attempt = 0;
      this.sameNodeNext = true;
      this.opts.log.warn('the broker does not speak MQTT 5: falling back to MQTT 3.1.1');
      return;
    }
    const msg = describeMqttError(err);
    if (msg === this.lastError) return;
    // a broker that refuses a publish may close the connection right after: the refusal is the
    // cause the light keeps (a reset is not a rejected certificate then)
    if (this.refusedAt !== null && this.now() - this.refusedAt < 5000) {
      this.opts.log.warn({ err: msg }, 'server link closed after a refused publish');
      return;
    }
    this.opts.log.warn({ err: msg }, 'server link error');
    this.lastError = msg;
    // A link that cannot come up names its cause on the light at once, not at the next health tick
    // (a refused certificate, a wrong CA: what the technician must fix). An error on a live link
    // is followed by its close, which says so.
    if (!this.connected && !this.stopping) this.evaluate(true);
  }

  private onClose(client: MqttClient, gen: number): void {
    if (gen !== this.gen) return;
    this.gen++; // late callbacks of this connection no longer steer the pump
    client.removeAllListeners('connect');
    client.removeAllListeners('close');
    client.removeAllListeners('message');
    client.end(true);
    this.opts.session?.detach();
    const wasConnected = this.connected;
    this.connected = false;
    this.telemetry?.disconnected();
    // A link that drops right after connecting keeps backing off (ACL kicks, flapping radio).
    if (wasConnected && this.now() - this.connectedAt > 30_000) this.attempt = 0;
    this.uploader?.halt();
    if (wasConnected) {
      this.downSince = this.now();
      this.opts.log.warn({ pending: this.opts.outbox.depth() }, 'disconnected from server; queueing');
      this.evaluate(true);
    }
    if (this.stopping) return;
    // A failed or lost connection moves on to the cluster's next node (the session lives in the cluster).
    if (this.cfg!.clusterUrls.length > 0 && !this.sameNodeNext) this.node++;
    this.sameNodeNext = false;
    const wait = backoffMs(this.attempt++, this.cfg!.reconnectMinMs, this.cfg!.reconnectMaxMs);
    this.reconnectTimer = this.later(wait, () => {
      this.reconnectTimer = null;
      this.connect();
    });
  }

  private networkKey(): string {
    return (this.opts.networkKey ?? hostNetworkKey)();
  }

  /**
   * A new network (another cell, Wi-Fi at the station): while waiting out a backoff, try at once
   * rather than at the end of the wait. A live connection is left alone; the keepalive and the
   * PUBACK watchdog drop it if the change broke it.
   */
  private networkChanged(): void {
    const key = this.networkKey();
    if (key === this.netKey) return;
    this.netKey = key;
    const t = this.reconnectTimer;
    if (this.connected || !t || this.stopping) return;
    clearTimeout(t);
    this.timers.delete(t);
    this.reconnectTimer = null;
    this.attempt = 0;
    this.opts.log.info('network changed; reconnecting now');
    this.connect();
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /**
   * The broker refused a publish (e.g. ACL): the message stays queued; try again later, loudly.
   * With its topic, the light names the kind held back while the others go on.
   */
  private onRefused(err: unknown, topic?: string): void {
    this.stats.refused++;
    this.refusedAt = this.now();
    const kinds = this.uploader?.refusedKinds ?? [];
    const msg =
      topic && kinds.length > 0
        ? `the broker refuses ${kinds.join(', ')} records (${describeMqttError(err)}): kept on the unit and tried again every ${Math.round((this.opts.retryMs ?? REFUSED_RETRY_MS) / 1000)} s; other records go on`
        : `publish refused by the broker: ${describeMqttError(err)}`;
    if (topic && kinds.length > 0) this.refusedReason = msg;
    if (msg !== this.lastError)
      this.opts.log.error({ err: msg }, 'upload refused; messages kept in the outbox');
    this.lastError = msg;
    this.uploader?.retryLater();
  }

  /**
   * The kinds of record the broker has no receiver for changed (unheard.ts): while any is held the
   * light says which, and that they are kept on the unit; once all are heard, the link is healthy.
   */
  private onUnheard(kinds: string[]): void {
    if (kinds.length === 0) {
      this.opts.log.info('the server receives every kind of record again; sending what was kept');
      this.markHealthy();
      return;
    }
    const msg = unheardReason(kinds);
    if (msg === this.lastError) return;
    this.opts.log.error({ kinds }, msg);
    this.lastError = msg;
    this.evaluate(true);
  }

  /** The tally of delivered records (reconcile.ts), when due or at once on a new connection. */
  private sendTally(force: boolean): void {
    const client = this.client;
    if (!client || !this.connected || !this.reconciler) return;
    try {
      this.reconciler.tally((topic, body) => client.publish(topic, body, { qos: 1 }), force);
    } catch (err) {
      // a store that cannot count now: the next tick tries again; nothing is lost meanwhile
      this.opts.log.warn({ err: (err as Error).message }, 'cannot count delivered records for the tally');
    }
  }

  private onMessage(topic: string, payload: Buffer, retained = false): void {
    const c = this.cfg;
    const t = c && topics(c.topicBase, this.opts.unit);
    if (t && topic === t.resendCommand && this.reconciler) {
      const r = this.reconciler;
      guarded(this.rejects, 'resend command', () => r.command(payload, retained));
      return;
    }
    if (!t || topic !== t.holdCommand) return;
    // A store error taking the hold must not throw into mqtt.js's packet handler.
    guarded(this.rejects, 'hold command', () => {
      const keys = adminKeyMap(this.opts.adminKeys ?? []);
      const result = applyHoldCommand(
        payload,
        this.opts.holds,
        this.opts.unit,
        this.now(),
        this.opts.log,
        keys,
        (problem) =>
          this.rejects.reject(`hold command ignored (malformed, unsigned or not for this unit): ${problem}`),
      );
      if (result) this.client?.publish(t.holdResult, result, { qos: 1 });
    });
  }

  private tick(): void {
    if (this.connected) this.uploader?.resendStuck();
    this.sendTally(false);
    this.evaluate(false);
  }

  /** Recomputes the server light (sampling the queue depth on ticks); emits when due. */
  private evaluate(sampleless: boolean): void {
    const depth = this.opts.outbox.depth();
    if (!sampleless) this.lights.sample(depth);
    const s = this.lights.next(
      {
        connected: this.connected,
        downSince: this.connected ? null : this.downSince,
        lastError: this.lastError,
        now: this.now(),
        amberAfterMinutes: this.cfg?.amberAfterMinutes ?? 0,
        redAfterMinutes: this.cfg?.redAfterMinutes ?? 15,
      },
      depth,
    );
    if (s) this.emitHealth(s.light, s.reason);
  }

  private emitHealth(light: Light, reason: string): void {
    this.opts.bus.emit('health', { component: 'server', light, reason, at: this.now() });
  }
}

/** The server light's reason while kinds of record have no receiver on the broker. */
function unheardReason(kinds: readonly string[]): string {
  return `the broker has no receiver for ${kinds.join(', ')} (no matching subscribers): kept on the unit until the server subscribes`;
}
