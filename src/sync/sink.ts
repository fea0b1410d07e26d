import type { KeyObject } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { applySignedHold, type HoldOutcome } from '../central/holds.ts';
import type { PurgeEntry } from '../central/retention.ts';
import { type SinkCounts, SqliteCentralStore } from '../central/sqlite-store.ts';
import { type CentralStore, parseUnitMessage } from '../central/store.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { adminKeyMap } from '../domain/signed.ts';
import { clusterServers } from './link.ts';
import { refusesMqtt5 } from './state.ts';
import { HOUR_MS, parseBuckets, ShortfallWatch } from './reconcile.ts';
import { type HoldCommand, parseUnitTopic, payloads, serverSubscriptions, topics } from './topics.ts';

export { type SinkCounts, sinkCounts } from '../central/sqlite-store.ts';

/**
 * Reference receiver ("central sink"): subscribes as the agency's server would (QoS 1, persistent
 * session), stores every unit message in a central store (SQLite by default, or one given, e.g.
 * PostgreSQL) and de-duplicates on (type, id). A message is acknowledged (PUBACK) only once the
 * store has it: a receiver that dies mid-write gets it again. A second copy of an id counts as a
 * duplicate; a copy whose content differs counts as a conflict (the protocol promises that never
 * happens). Tests and benchmarks use it to count loss.
 *
 * Scaling out: brokers without shared subscriptions (NATS's MQTT) give every receiver every
 * message, so `partition` splits the fleet by unit: receiver i of n stores the units of
 * `copies` partitions (i, i+1, … mod n; `ownsPartition`) and acknowledges the rest untouched. With
 * copies 2 every unit is stored by two receivers into the shared store, which keeps each id once:
 * a receiver that crashes loses nothing even on a broker that does not give a crashed session's
 * unacknowledged messages back (nats-server 2.9's MQTT: only after its ack wait, and messages
 * queued meanwhile were seen not to arrive at all).
 */
export interface SinkOptions {
  url: string;
  /** Other nodes of a clustered broker, tried in turn when the connection fails. */
  clusterUrls?: readonly string[];
  /** SQLite file, used when no `store` is given. */
  dbFile?: string;
  store?: CentralStore;
  topicBase: string;
  clientId?: string;
  /** 5 (default; 3.1.1 when the broker refuses 5) or 4: 3.1.1 from the start. */
  protocolVersion?: 4 | 5;
  /** This receiver's share of the fleet (ownsPartition); `copies` defaults to 1. */
  partition?: { index: number; count: number; copies?: number };
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  onMessage?: (type: string, id: string, duplicate: boolean) => void;
  /**
   * Admin keys (as units pin them): with a store that keeps holds, the receiver also takes the
   * signed hold commands sent to units (`<base>/+/+/cmd/hold`) and applies them centrally.
   */
  adminKeys?: readonly { id: string; publicKey: string }[];
  /** Every hold command seen: applied, or refused with the reason. */
  onHold?: (o: HoldOutcome) => void;
  /** Runs the store's retention purge this often (ms; stores with retention only). */
  purgeEveryMs?: number;
  onPurge?: (p: PurgeEntry) => void;
  /**
   * The store failed on a message (down, unreachable): it is not acknowledged, and the receiver
   * reconnects after `redeliverMs` (doubling up to a minute while the store keeps failing) so
   * that the broker sends it again: Mosquitto sends a session's unacknowledged messages again
   * only on a new connection.
   */
  onStoreError?: (err: unknown) => void;
  /**
   * The store refused a message for what it holds (a value no database keeps): counted as
   * malformed and acknowledged, never left to block the messages behind it.
   */
  onRefused?: (err: unknown) => void;
  /** The first wait before a reconnect that has the broker send unstored messages again (ms; 2000). */
  redeliverMs?: number;
  /**
   * How long start() keeps trying a broker that is not up yet (refuses the connection, closes it
   * before its CONNACK, or answers "server unavailable"), 1 s apart, each node of a cluster in
   * turn (default 30 s). A refusal of the receiver's credentials fails at once.
   */
  connectWaitMs?: number;
  /**
   * The connection to the broker after start(): `lost` when it drops, `back` (with the node's
   * address) when the client has reconnected and the broker holds the session again.
   */
  onConnection?: (event: 'lost' | 'back', url?: string) => void;
  /**
   * Each delivery as the receiver sees it, for tracing a missing record to the broker or the
   * receiver: `in <packet id> <topic> <record id>` when it arrives, `done <packet id>` once it is
   * stored or skipped (and acknowledged). Record ids and topics only, never a payload's contents.
   */
  trace?: (line: string) => void;
  /**
   * Reconciliation (reconcile.ts): a unit's tally hour that the store is still short of this long
   * after it was first found short is asked for again (`cmd/resend`). 0 or absent: tallies are
   * taken and dropped.
   */
  resendAfterMs?: number;
  /** A unit's tallies are judged at most this often (ms; reconcile.ts TALLY_MIN_GAP_MS by default). */
  tallyMinGapMs?: number;
  /** Each resend command sent: the unit, the window, and how many of its reads and hits the store lacks. */
  onResend?: (r: ResendReport) => void;
  /** A resend command the broker refused. */
  onResendFailed?: (agency: string, unit: string, err: Error) => void;
  /** An hour still short after every ask: given up on (said once). */
  onGiveUp?: (r: ResendReport) => void;
}

/** One unit's window the store lacks records of. */
export interface ResendReport {
  agency: string;
  unit: string;
  from: number;
  to: number;
  reads: number;
  hits: number;
}

/**
 * True when a first connection failed for a reason that passes once the broker is up: nothing
 * listens yet, the connection was closed before its CONNACK (a clustered broker still electing
 * its leaders), or the broker said it is unavailable or busy (3.1.1 code 3, MQTT 5 0x88/0x89).
 */
export function brokerNotUpYet(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 3 || code === 0x88 || code === 0x89) return true;
  if (typeof code === 'string') return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code);
  return (err as Error | null)?.message === "Couldn't connect to server";
}

/** A message's record id for a trace line (`-` when it has none). */
function recordId(payload: Buffer): string {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && /^[\w.:-]{1,80}$/.test(id) ? id : '-';
  } catch {
    return '-';
  }
}

/** The partition of a unit (FNV-1a of `<agency>/<unit>`, modulo `count`): stable across receivers. */
export function unitPartition(agency: string, unit: string, count: number): number {
  let h = 0x811c9dc5;
  const s = `${agency}/${unit}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/** Whether receiver `index` of `count` stores partition `part`: it stores `index` … `index + copies - 1` (mod count). */
export function ownsPartition(part: number, index: number, count: number, copies = 1): boolean {
  return (part - index + count) % count < Math.min(copies, count);
}

/** Connects with MQTT 5, or 3.1.1 when asked or when the broker refuses 5 (CONNACK code 1 / 0x84). */
export async function connectNegotiated(
  url: string,
  options: IClientOptions,
  version: 4 | 5 = 5,
): Promise<MqttClient> {
  if (version === 4) return mqtt.connectAsync(url, v311(options), false);
  try {
    return await mqtt.connectAsync(url, { ...options, protocolVersion: 5 }, false);
  } catch (err) {
    if (!refusesMqtt5(err)) throw err;
    return mqtt.connectAsync(url, v311(options), false);
  }
}

/** The options without what only MQTT 5 has (properties). */
function v311(options: IClientOptions): IClientOptions {
  const { properties: _p, ...rest } = options;
  return { ...rest, protocolVersion: 4 };
}

export class CentralSink {
  private client: MqttClient | null = null;
  private readonly store: CentralStore;
  private keys: ReadonlyMap<string, KeyObject> = new Map();
  private purgeTimer: NodeJS.Timeout | null = null;
  private readonly shortfalls: ShortfallWatch | null;
  /** Counters for tests and status. */
  readonly stats = {
    stored: 0,
    skipped: 0,
    storeErrors: 0,
    refused: 0,
    redeliveries: 0,
    tallies: 0,
    resends: 0,
  };
  private redeliverTimer: NodeJS.Timeout | null = null;
  private redeliverWait = 0;

  constructor(private readonly opts: SinkOptions) {
    if (!opts.store && !opts.dbFile)
      throw new AlprError(ErrorCodes.INPUT, 'central sink: a store or an SQLite file is needed');
    this.store = opts.store ?? new SqliteCentralStore(opts.dbFile!);
    const settle = opts.resendAfterMs ?? 0;
    this.shortfalls = settle > 0 ? new ShortfallWatch(settle, opts.tallyMinGapMs) : null;
  }

  /**
   * The first connection: a broker that is not up yet is tried again, 1 s apart, each node of a
   * cluster in turn, for up to connectWaitMs; any other failure ends start() at once.
   */
  private async connectFirst(options: IClientOptions): Promise<MqttClient> {
    const urls = [this.opts.url, ...(this.opts.clusterUrls ?? [])];
    const until = Date.now() + (this.opts.connectWaitMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      // a new client starts at the first of its servers: this attempt's node first, the rest after
      const k = attempt % urls.length;
      const [url, ...rest] = [...urls.slice(k), ...urls.slice(0, k)] as [string, ...string[]];
      try {
        return await connectNegotiated(
          url,
          { ...options, ...clusterServers(url, rest) },
          this.opts.protocolVersion ?? 5,
        );
      } catch (err) {
        if (!brokerNotUpYet(err) || Date.now() + 1000 > until) {
          throw new AlprError(
            ErrorCodes.SYNC,
            `central sink cannot connect to ${url}: ${(err as Error).message}`,
          );
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async start(): Promise<void> {
    await this.store.start();
    const p = this.opts.partition;
    const options: IClientOptions = {
      clientId: (this.opts.clientId ?? 'alpr-central-sink') + (p ? `-p${p.index}of${p.count}` : ''),
      clean: false,
      properties: { sessionExpiryInterval: 86_400 },
      reconnectPeriod: 1000,
      rejectUnauthorized: true,
    };
    if (this.opts.ca) options.ca = this.opts.ca;
    if (this.opts.cert) options.cert = this.opts.cert;
    if (this.opts.key) options.key = this.opts.key;
    const client = await this.connectFirst(options);
    this.client = client;
    // The PUBACK goes out when the callback is called: only once the store has the message.
    const trace = this.opts.trace;
    client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
      if (trace) trace(`in ${packet.messageId ?? '-'} ${packet.topic} ${recordId(packet.payload as Buffer)}`);
      this.receive(packet.topic, packet.payload as Buffer).then(
        () => {
          if (trace) trace(`done ${packet.messageId ?? '-'}`);
          this.redeliverWait = 0;
          done();
        },
        (err: unknown) => {
          if (err instanceof AlprError && err.code === ErrorCodes.INPUT) {
            this.stats.refused++;
            this.opts.onRefused?.(err);
            void this.store
              .malformed()
              .catch(() => {})
              .finally(() => done());
            return;
          }
          this.stats.storeErrors++;
          this.opts.onStoreError?.(err);
          done(err as Error);
          this.redeliverLater();
        },
      );
    };
    client.on('offline', () => this.opts.onConnection?.('lost'));
    client.on('connect', () => {
      const o = client.options;
      // mqtt.js keeps a URL's host under `host` or `hostname`, by how the client was made
      this.opts.onConnection?.('back', `${o.protocol}://${o.hostname ?? o.host}:${o.port}`);
    });
    const filters = serverSubscriptions(this.opts.topicBase);
    if (this.opts.adminKeys && this.store.applyHold) {
      this.keys = adminKeyMap(this.opts.adminKeys);
      filters.push(`${this.opts.topicBase}/+/+/cmd/hold`);
    }
    try {
      await client.subscribeAsync(filters, { qos: 1 });
    } catch (err) {
      await client.endAsync(true);
      throw new AlprError(ErrorCodes.SYNC, `central sink cannot subscribe: ${(err as Error).message}`);
    }
    const every = this.opts.purgeEveryMs ?? 0;
    if (every > 0 && this.store.purge) {
      this.purgeTimer = setInterval(() => void this.purgeNow().catch(() => {}), every);
      this.purgeTimer.unref();
    }
  }

  /** One retention purge now (stores with retention only); the store logs it. */
  async purgeNow(now = Date.now()): Promise<PurgeEntry | null> {
    if (!this.store.purge) return null;
    const p = await this.store.purge(now);
    this.opts.onPurge?.(p);
    return p;
  }

  private async receive(topic: string, payload: Buffer): Promise<void> {
    const p = this.opts.partition;
    if (p) {
      const where = parseUnitTopic(this.opts.topicBase, topic);
      if (
        where &&
        !ownsPartition(unitPartition(where.agency, where.unit, p.count), p.index, p.count, p.copies)
      ) {
        this.stats.skipped++;
        return;
      }
    }
    const where = parseUnitTopic(this.opts.topicBase, topic);
    if (where?.rest === 'cmd/hold') {
      if (!this.store.applyHold || this.keys.size === 0) return;
      const target = { applyHold: (c: HoldCommand, now: number) => this.store.applyHold!(c, now) };
      const o = await applySignedHold(target, payload, this.keys, Date.now(), {
        agency: where.agency,
        id: where.unit,
      });
      this.opts.onHold?.(o);
      return;
    }
    if (where?.rest === 'tally') return this.tally(where.agency, where.unit, payload);
    const m = parseUnitMessage(this.opts.topicBase, topic, payload);
    if (m.kind === 'malformed') return this.store.malformed();
    if (m.kind === 'status') return this.store.status(m.agency, m.unit, m.state, m.at);
    const outcome = await this.store.put(m.record, Date.now());
    this.stats.stored++;
    this.opts.onMessage?.(m.record.type, m.record.id, outcome !== 'new');
  }

  /**
   * A unit's tally: live state, never stored. Hours the store is still short of after the settling
   * time are asked for again; a malformed tally is counted as malformed.
   */
  private async tally(agency: string, unit: string, payload: Buffer): Promise<void> {
    let hours: ReturnType<typeof parseBuckets> = null;
    try {
      const m = JSON.parse(payload.toString('utf8')) as { type?: unknown; hours?: unknown };
      if (m?.type === 'tally') hours = parseBuckets(m.hours);
    } catch {
      // not JSON: malformed below
    }
    if (!hours) return this.store.malformed();
    this.stats.tallies++;
    const watch = this.shortfalls;
    const client = this.client;
    const key = `${agency}/${unit}`;
    const now = Date.now();
    if (!watch || !client || !this.store.stored || !watch.due(key, now)) return;
    const stored = await this.store.stored(
      agency,
      unit,
      hours.map((b) => b.from),
    );
    const verdict = watch.check(key, hours, stored, now);
    const topic = topics(this.opts.topicBase, { agency, id: unit }).resendCommand;
    for (const lack of verdict.ask) {
      const to = lack.from + HOUR_MS;
      const cmd = payloads.resend({ agency, id: unit }, lack.from, to);
      // Not awaited: its PUBACK is an incoming packet, and mqtt.js reads none until this message is done.
      client.publish(topic, JSON.stringify(cmd), { qos: 1 }, (err) => {
        if (err) this.opts.onResendFailed?.(agency, unit, err);
      });
      this.stats.resends++;
      this.opts.trace?.(`resend ${agency}/${unit} ${lack.from} ${to}`);
      this.opts.onResend?.({ agency, unit, from: lack.from, to, reads: lack.reads, hits: lack.hits });
    }
    for (const lost of verdict.givenUp)
      this.opts.onGiveUp?.({ agency, unit, ...lost, to: lost.from + HOUR_MS });
  }

  private sqlite(): SqliteCentralStore {
    if (!(this.store instanceof SqliteCentralStore))
      throw new AlprError(ErrorCodes.SYNC, 'these counts are read from the SQLite store only');
    return this.store;
  }

  counts(): SinkCounts {
    return this.sqlite().counts();
  }

  /** Ids of one type in arrival order. */
  ids(type: string): string[] {
    return this.sqlite().ids(type);
  }

  /** Types in arrival order (to check hits before reads). */
  arrivalTypes(): string[] {
    return this.sqlite().arrivalTypes();
  }

  unitStatus(agency: string, unit: string): string | null {
    return this.sqlite().unitStatus(agency, unit);
  }

  /**
   * A new connection after a wait, so that the broker sends again what the store failed on (the
   * persistent session keeps it): one at a time, the wait doubling up to a minute while the store
   * keeps failing, back to the first once a message is stored.
   */
  private redeliverLater(): void {
    if (this.redeliverTimer || !this.client) return;
    const first = this.opts.redeliverMs ?? 2000;
    this.redeliverWait = Math.min(60_000, this.redeliverWait ? this.redeliverWait * 2 : first);
    this.redeliverTimer = setTimeout(() => {
      this.redeliverTimer = null;
      const c = this.client;
      if (!c) return;
      this.stats.redeliveries++;
      c.end(true, {}, () => {
        if (this.client === c) c.reconnect();
      });
    }, this.redeliverWait);
    this.redeliverTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.redeliverTimer) clearTimeout(this.redeliverTimer);
    this.redeliverTimer = null;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    const c = this.client;
    this.client = null;
    if (c) await new Promise<void>((r) => c.end(false, {}, () => r()));
    await this.store.stop();
  }
}
