/**
 * The unit's one connection to the broker, as the parts that only listen on it see it.
 *
 * A broker that ties each client id to its certificate (Mosquitto's `use_username_as_clientid`,
 * the reference configuration) lets a certificate hold one connection: a second one with the same
 * certificate replaces the first. So the upload link owns the unit's connection and the hot-list
 * and roster subscribers ride on it: they are told of each (re)connect, subscribe on it, and get
 * every message that arrives. Tools run on their own (`alpr hotlist` subscribers in tests, the
 * central side) use `ownConnection`, which gives them the same interface over a connection of
 * their own with capped, jittered reconnects.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type BackoffLog, BrokerBackoff } from './broker-backoff.ts';

/**
 * How long the broker keeps the unit's session (its queued commands) while the unit is away
 * (MQTT 5 Session Expiry Interval): a week.
 */
export const UNIT_SESSION_EXPIRY_S = 7 * 86_400;

export interface BrokerSession {
  /**
   * QoS for subscriptions to retained topics: 0 on the shared link's connection, whose session
   * the broker keeps while the unit is away (a QoS 1 subscription there would queue every
   * hot-list chunk for an absent unit; the retained copies come again with every subscribe), 1 on
   * a clean connection of one's own.
   */
  readonly subscribeQos: 0 | 1;
  /** Called with the live client after every connect (CONNACK). */
  onConnect(fn: (client: MqttClient) => void): void;
  /** Called with every message that arrives on the connection. */
  onMessage(fn: (topic: string, payload: Buffer) => void): void;
  /** The connected client, or null while there is none. */
  current(): MqttClient | null;
  /** Asks for room for packets of `bytes` (MQTT 5 maximumPacketSize), before the first connect. */
  allowPackets(bytes: number): void;
  /** Stops listening; ends the connection too when it was opened for these listeners alone. */
  close(): Promise<void>;
}

type ConnectFn = (client: MqttClient) => void;
type MessageFn = (topic: string, payload: Buffer) => void;

/**
 * The connection the upload link shares: the link calls `attach` on each connect, `dispatch` for
 * each message and `detach` when the connection closes; each subscriber gets a `handle()`, whose
 * `close` removes its own listeners only (a subscriber restarting leaves the others be).
 */
export class SharedSession {
  private readonly connects = new Set<ConnectFn>();
  private readonly messages = new Set<MessageFn>();
  private client: MqttClient | null = null;
  private bytes = 0;

  /** A subscriber's view of the shared connection. */
  handle(): BrokerSession {
    const mine: { c: ConnectFn[]; m: MessageFn[] } = { c: [], m: [] };
    return {
      subscribeQos: 0,
      onConnect: (fn) => {
        mine.c.push(fn);
        this.connects.add(fn);
        const live = this.current();
        if (live) fn(live);
      },
      onMessage: (fn) => {
        mine.m.push(fn);
        this.messages.add(fn);
      },
      current: () => this.current(),
      allowPackets: (bytes) => {
        this.bytes = Math.max(this.bytes, bytes);
      },
      close: async () => {
        for (const fn of mine.c) this.connects.delete(fn);
        for (const fn of mine.m) this.messages.delete(fn);
      },
    };
  }

  /** The connected client, or null. */
  current(): MqttClient | null {
    return this.client?.connected ? this.client : null;
  }

  /** The largest packet any subscriber asked for (0 when none asked). */
  get packetBytes(): number {
    return this.bytes;
  }

  /** The link's side: a connection is up. */
  attach(client: MqttClient): void {
    this.client = client;
    for (const fn of [...this.connects]) fn(client);
  }

  /** The link's side: a message arrived on the live connection. */
  dispatch(topic: string, payload: Buffer): void {
    for (const fn of [...this.messages]) fn(topic, payload);
  }

  /** The link's side: the connection is gone. */
  detach(): void {
    this.client = null;
  }
}

/** MQTT 5: the broker drops packets bigger than `bytes` instead of sending them (3.1.1 has no such field). */
export function packetCap(options: IClientOptions | undefined, bytes: number): Partial<IClientOptions> {
  if (options?.protocolVersion !== 5) return {};
  return { properties: { ...options.properties, maximumPacketSize: bytes } };
}

export interface OwnConnectionOptions {
  url: string;
  options: IClientOptions;
  reconnect: { minMs: number; maxMs: number };
  /** Names the connection in the backoff's log lines: `hot-list sync`. */
  what: string;
  log: BackoffLog;
}

/**
 * A connection of its own (clean session), reconnected with capped, jittered backoff: the same
 * listener bookkeeping as the shared one, with this connection attached to it.
 */
export function ownConnection(o: OwnConnectionOptions): BrokerSession {
  const shared = new SharedSession();
  const view = shared.handle();
  let client: MqttClient | null = null;
  let backoff: BrokerBackoff | null = null;
  let closed = false;
  const start = () => {
    if (client || closed) return;
    const bytes = shared.packetBytes;
    const c = mqtt.connect(o.url, {
      ...o.options,
      ...(bytes > 0 ? packetCap(o.options, bytes) : {}),
      // Retries are the backoff's, not mqtt.js's fixed period (see core/broker-backoff.ts).
      reconnectPeriod: 0,
    });
    client = c;
    backoff = new BrokerBackoff(c, { ...o.reconnect, what: o.what, log: o.log });
    backoff.attach();
    c.on('connect', () => shared.attach(c));
    c.on('message', (topic, payload) => shared.dispatch(topic, payload));
  };
  return {
    ...view,
    subscribeQos: 1,
    onConnect(fn) {
      view.onConnect(fn);
      // The connection opens with the first listener, once every packet size is known.
      start();
    },
    async close() {
      await view.close();
      closed = true;
      backoff?.stop();
      const c = client;
      client = null;
      // Without a broker, a graceful end waits forever for queued acks: force it then.
      await c?.endAsync(!c.connected);
    },
  };
}

export interface SessionChoice {
  /** The unit's shared connection, when there is one. */
  session?: BrokerSession;
  /** Otherwise a connection of one's own to this broker. */
  mqtt?: { url: string; options?: IClientOptions };
  reconnect?: { minMs: number; maxMs: number };
}

/**
 * The shared session when given, else a connection of one's own (clean session) whose client id
 * is `idPrefix` plus a fresh random suffix: no other certificate can guess it and take it over.
 */
export function sessionOf(o: SessionChoice, idPrefix: string, what: string, log: BackoffLog): BrokerSession {
  if (o.session) return o.session;
  if (!o.mqtt) throw new Error(`${what}: neither a shared session nor a broker to connect to`);
  return ownConnection({
    url: o.mqtt.url,
    options: { clientId: `${idPrefix}-${randomBytes(8).toString('hex')}`, ...o.mqtt.options },
    reconnect: o.reconnect ?? { minMs: 1000, maxMs: 5000 },
    what,
    log,
  });
}
