/**
 * Unit side of hot-list sync: listens for signed manifests on the agency's hot-list topics,
 * gathers the chunks, verifies everything against the pinned admin keys, applies the version
 * through the target (the HotlistStage) and acknowledges on the unit's own topic. Anything
 * unsigned, badly signed, truncated, corrupted or older is refused with a logged reason.
 *
 * Deltas (`…/<LIST>/delta`) apply only on top of their base version. A delta whose base is not
 * the live version is refused (current list kept) but remembered: once the full snapshot of its
 * base is applied (the full stays retained beside the delta), the delta is fetched and applied.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { type BrokerSession, sessionOf } from '../core/broker-session.ts';
import type { Logger } from '../core/log.ts';
import { guarded, RejectCounter } from '../core/rejects.ts';
import { RefreshSchedule } from '../core/retained-refresh.ts';
import { subscribeAgain, subscribeWithRetry } from '../core/subscribe-retry.ts';
import type { Stage } from '../core/stage.ts';
import { uuidv7 } from '../domain/ids.ts';
import { csvEntries, gunzipLines } from './csv.ts';
import { type DeltaChange, deltaChanges } from './delta.ts';
import type { HotlistEntry } from './match.ts';
import {
  type Ack,
  bodyProblem,
  isDelta,
  type Manifest,
  manifestProblem,
  publicKeyFromBase64,
  MAX_HOTLIST_PACKET_BYTES,
  MAX_MANIFEST_BYTES,
  topics,
} from './snapshot.ts';
import type { ApplyMeta } from './store.ts';

/** What the subscriber needs of the stage. */
export interface HotlistTarget {
  listVersion(list: string): number;
  applyVersion(meta: ApplyMeta, entries: AsyncIterable<HotlistEntry>): Promise<number>;
  /** Applies a delta on top of `meta.baseVersion`, atomically; absent = deltas are refused. */
  applyDelta?(meta: ApplyMeta & { baseVersion: number }, changes: DeltaChange[]): number | Promise<number>;
}

export interface HotlistSubscriberOptions {
  /** The unit's shared connection (the daemon's); without it, `mqtt` names a connection of its own. */
  session?: BrokerSession;
  mqtt?: { url: string; options?: IClientOptions };
  topicBase: string;
  agency: string;
  unitId: string;
  adminKeys: readonly { id: string; publicKey: string }[];
  target: HotlistTarget;
  log: Logger;
  chunkTimeoutMs?: number;
  /** Reconnect backoff (the upload link's reconnectMinMs/MaxMs); 1 s doubling to 5 s without. */
  reconnect?: { minMs: number; maxMs: number };
  /**
   * Reading the retained manifests again after each connect (core/retained-refresh.ts): a cluster
   * node can grant the subscription before it knows a list pushed through another node. 5 s
   * doubling to every 10 min without.
   */
  refresh?: { minMs: number; maxMs: number };
  /** Called after every decision, for tests and the status page. */
  onResult?: (ack: Ack) => void;
}

interface Pending {
  m: Manifest;
  chunks: (Buffer | undefined)[];
  timer: NodeJS.Timeout;
  topic: string;
}

/** Streams the entries of a verified snapshot body; throws on any bad row or a wrong count. */
export async function* snapshotEntries(body: Buffer, m: Manifest): AsyncGenerator<HotlistEntry> {
  const lines = gunzipLines(body);
  const onError = (e: { line: number; message: string }) => {
    // The column only: the message may quote plate text, which goes neither to logs nor to acks.
    throw new Error(`snapshot line ${e.line} is bad (${e.message.split(':')[0]})`);
  };
  let n = 0;
  for await (const e of csvEntries(
    lines,
    { list: m.list, now: m.issuedAt, source: `sync:${m.keyId}` },
    onError,
  )) {
    if (++n > m.entries)
      throw new Error(`snapshot holds more than the ${m.entries} entries its manifest says`);
    yield e;
  }
  if (n !== m.entries) throw new Error(`snapshot holds ${n} entries, its manifest says ${m.entries}`);
}

/** host:port of the node a client is connected to (the cluster has several). */
const serverOf = (c: MqttClient): string => `${c.options.hostname}:${c.options.port}`;

/** How often a snapshot still missing chunks subscribes to them again. */
const RESUBSCRIBE_MS = 5000;

export class HotlistSubscriber implements Stage {
  readonly name = 'hotlist-sync';
  /** Without the broker the unit keeps matching against the lists it has; health shows their age. */
  readonly critical = false;
  private subscribed: Promise<void> | null = null;
  private session: BrokerSession | null = null;
  /** Subscription QoS (BrokerSession.subscribeQos). */
  private qos: 0 | 1 = 1;
  private refresh: RefreshSchedule | null = null;
  /** The manifest last refused on each topic (live version and hash): not refused again. */
  private readonly refused = new Map<string, string>();
  /** The topic and refusal key each manifest came with (refuseContent remembers it there). */
  private readonly origins = new WeakMap<Manifest, { topic: string; seen: string }>();
  private readonly keys = new Map<string, KeyObject>();
  /** Snapshots being gathered, by `<list>/<version>`. */
  private readonly pending = new Map<string, Pending>();
  /**
   * Versions gathered and waiting for (or in) their apply, `list/version`: a refresh of the
   * retained manifests meanwhile (the live version still the old one) must not fetch the body
   * again, nor have the second apply refused as "not newer" once the first went live.
   */
  private readonly applying = new Set<string>();
  /** The last verified delta of each list, kept until its base is live or a newer version is. */
  private readonly deltas = new Map<string, Manifest>();
  private queue: Promise<void> = Promise.resolve();
  /** Messages that could not be handled: counted, warned about once a minute. */
  readonly rejects: RejectCounter;
  /**
   * Snapshots refused (each is also acknowledged to the server as rejected): the first is logged
   * at once, a flood is counted and summed up once a minute.
   */
  readonly refusals: RejectCounter;

  constructor(private readonly opts: HotlistSubscriberOptions) {
    this.rejects = new RejectCounter(opts.log, 'hot-list message rejected');
    this.refusals = new RejectCounter(opts.log, 'hot-list snapshot rejected; current list kept');
  }

  async start(): Promise<void> {
    for (const k of this.opts.adminKeys) this.keys.set(k.id, publicKeyFromBase64(k.publicKey));
    if (this.keys.size === 0)
      this.opts.log.warn('no admin keys pinned: every hot-list snapshot will be refused');
    const session = sessionOf(this.opts, `alpr-${this.opts.unitId}-hotlist`, 'hot-list sync', this.opts.log);
    this.session = session;
    this.qos = session.subscribeQos;
    session.allowPackets(MAX_HOTLIST_PACKET_BYTES);
    session.onMessage((topic, payload) => this.receive(topic, payload));
    const manifests = [
      topics.manifestAll(this.opts.topicBase, this.opts.agency),
      topics.deltaAll(this.opts.topicBase, this.opts.agency),
    ];
    const refresh = new RefreshSchedule(this.opts.refresh ?? { minMs: 5000, maxMs: 600_000 }, () => {
      const client = session.current();
      if (!client) return;
      this.opts.log.debug('hot-list manifests: reading the retained ones again');
      subscribeAgain(
        client,
        manifests,
        this.retryOptions(client, () => true),
      );
    });
    this.refresh = refresh;
    // No broker at start is normal in a car: start() does not wait; every (re)connect subscribes
    // again, so retained manifests are seen on each return.
    this.subscribed = new Promise<void>((resolve) => {
      session.onConnect((client) => {
        if (this.session !== session) return;
        this.opts.log.debug({ url: serverOf(client) }, 'hot-list sync connected');
        refresh.restart();
        this.subscribeRetrying(
          client,
          manifests,
          () => true,
          () => {
            this.opts.log.debug('hot-list manifests subscribed');
            resolve();
          },
        );
      });
    });
  }

  /** Subscribes on this connection, again after a refusal while still wanted (core/subscribe-retry.ts). */
  private subscribeRetrying(
    client: MqttClient,
    filters: string[],
    wanted: () => boolean,
    done?: () => void,
  ): void {
    subscribeWithRetry(client, filters, { ...this.retryOptions(client, wanted), done, qos: this.qos });
  }

  private retryOptions(client: MqttClient, wanted: () => boolean) {
    return {
      wanted: () => this.session?.current() === client && wanted(),
      qos: this.qos,
      onRefused: (err: Error) =>
        this.opts.log.warn({ err: err.message }, 'hot-list subscribe refused; retrying'),
    };
  }

  /** Resolves once the manifest topics are subscribed (tests, the status page). */
  whenSubscribed(): Promise<void> {
    return this.subscribed ?? Promise.reject(new Error('hot-list sync not started'));
  }

  async stop(): Promise<void> {
    this.refresh?.stop();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.queue.catch(() => {});
    const session = this.session;
    this.session = null;
    await session?.close();
  }

  /**
   * One message from the broker. Whatever it holds, nothing throws back into mqtt.js's packet
   * handler: a message that breaks a rule no check foresaw is counted and dropped.
   */
  receive(topic: string, payload: Buffer): void {
    guarded(this.rejects, 'hot-list message', () => this.onMessage(topic, payload));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const prefix = `${topics.root(this.opts.topicBase, this.opts.agency)}/`;
    if (!topic.startsWith(prefix)) return;
    const parts = topic.slice(prefix.length).split('/');
    if (parts.length === 2 && (parts[1] === 'manifest' || parts[1] === 'delta')) {
      // Read again by every refresh: the same one refused at the same live version is not refused
      // (acked, logged) again; once the live version moves it is looked at anew.
      const seen = `${this.opts.target.listVersion(parts[0]!)}:${createHash('sha256').update(payload).digest('hex')}`;
      if (this.refused.get(topic) === seen) return;
      this.refused.delete(topic);
      if (!this.onManifest(parts[0]!, payload, parts[1] === 'delta', { topic, seen }))
        this.refused.set(topic, seen);
    } else if (parts.length === 4 && parts[1] === 'chunk')
      this.onChunk(parts[0]!, Number(parts[2]), Number(parts[3]), payload);
  }

  /** Handles one manifest or delta manifest; false when it was refused. */
  private onManifest(
    list: string,
    payload: Buffer,
    delta: boolean,
    origin: { topic: string; seen: string },
  ): boolean {
    if (payload.length === 0) return true; // a cleared retained manifest
    if (payload.length > MAX_MANIFEST_BYTES) {
      return this.refuse(list, 0, `manifest too large (${payload.length} bytes)`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.refuse(list, 0, 'manifest is not JSON');
    }
    const claimed = Number((raw as { listVersion?: unknown })?.listVersion) || 0;
    const problem = manifestProblem(raw, { agency: this.opts.agency, list, delta }, this.keys);
    if (problem) {
      return this.refuse(list, claimed, problem);
    }
    const m = raw as Manifest;
    this.origins.set(m, origin);
    const live = this.opts.target.listVersion(list);
    this.opts.log.debug({ list, version: m.listVersion, live, delta }, 'hot-list manifest seen');
    if (m.listVersion === live) return true; // already applied (a retained manifest seen again)
    if (m.listVersion < live) {
      return this.refuse(
        list,
        m.listVersion,
        `version ${m.listVersion} is older than the live version ${live}`,
      );
    }
    if (delta) {
      this.deltas.set(list, m);
      const baseComing = [...this.pending.values()].some(
        (p) => p.m.list === list && !isDelta(p.m) && p.m.listVersion === m.baseVersion,
      );
      if (baseComing) return true; // applied right after the full snapshot of its base (afterApply)
      if (m.baseVersion !== live) {
        return this.refuse(
          list,
          m.listVersion,
          `delta applies to version ${m.baseVersion}, the live version is ${live || 'none'}: current list kept until a full snapshot`,
        );
      }
    } else {
      // A newer full supersedes an older one still being gathered.
      for (const p of [...this.pending.values()]) {
        if (p.m.list !== list || isDelta(p.m)) continue;
        if (p.m.listVersion >= m.listVersion) return true;
        this.drop(p);
      }
    }
    this.fetch(m);
    return true;
  }

  private refuse(list: string, listVersion: number, reason: string): false {
    this.reject(list, listVersion, reason);
    return false;
  }

  private fetch(m: Manifest): void {
    const key = `${m.list}/${m.listVersion}`;
    if (this.pending.has(key) || this.applying.has(key)) return;
    const topic = topics.chunkAll(this.opts.topicBase, this.opts.agency, m.list, m.listVersion);
    const timer = setTimeout(() => {
      const p = this.pending.get(key);
      if (p?.m !== m) return;
      this.drop(p);
      this.reject(m.list, m.listVersion, bodyProblem(m, p.chunks) ?? 'truncated');
    }, this.opts.chunkTimeoutMs ?? 120_000);
    timer.unref();
    this.pending.set(key, { m, chunks: new Array(m.chunks.length).fill(undefined), timer, topic });
    if (m.chunks.length === 0) this.maybeFinish(key);
    else if (this.session?.current()) {
      const wanted = () => this.pending.get(key)?.m === m;
      this.opts.log.debug({ topic, chunks: m.chunks.length }, 'hot-list chunks: subscribing');
      this.subscribeRetrying(this.session.current()!, [topic], wanted, () =>
        this.opts.log.debug({ topic }, 'hot-list chunks: subscribed'),
      );
      // A cluster electing stream leaders may grant the subscription yet send no retained chunk:
      // while chunks are missing, subscribe again every 5 s (retained chunks come with each).
      const again = setInterval(() => {
        const c = this.session?.current();
        if (!wanted()) clearInterval(again);
        else if (c) {
          this.opts.log.debug({ topic }, 'hot-list chunks: still missing, subscribing again');
          c.unsubscribe(topic, () => this.subscribeRetrying(c, [topic], wanted));
        }
      }, RESUBSCRIBE_MS);
      again.unref();
    }
  }

  private onChunk(list: string, version: number, i: number, payload: Buffer): void {
    const key = `${list}/${version}`;
    const p = this.pending.get(key);
    if (!p || !(i >= 0 && i < p.chunks.length) || payload.length === 0) return;
    // Bigger than the signed manifest's chunk size: not one of its chunks, and not kept.
    if (payload.length > p.m.chunkSize) {
      this.drop(p);
      this.reject(list, version, `chunk ${i} is larger than the manifest's chunk size`);
      return;
    }
    this.opts.log.debug({ list, version, chunk: i }, 'hot-list chunk received');
    p.chunks[i] = Buffer.from(payload);
    this.maybeFinish(key);
  }

  private maybeFinish(key: string): void {
    const p = this.pending.get(key);
    if (!p || p.chunks.some((c) => c === undefined)) return;
    this.drop(p);
    const problem = bodyProblem(p.m, p.chunks);
    if (problem) {
      this.reject(p.m.list, p.m.listVersion, problem);
      return;
    }
    const body = Buffer.concat(p.chunks as Buffer[]);
    // The chunks go now: a state list's body is tens of MB, and it waits for earlier applies.
    p.chunks.fill(undefined);
    const m = p.m;
    this.applying.add(key);
    // apply/applyDelta catch their own errors; the catch keeps one unforeseen throw (in an ack, a
    // log call) from rejecting the queue, which would stop every later version.
    this.queue = this.queue
      .then(() => (isDelta(m) ? this.applyDelta(m, body) : this.apply(m, body)))
      .catch((err: unknown) => this.rejects.reject(`applying ${m.list}: ${(err as Error)?.message}`))
      .finally(() => this.applying.delete(key));
  }

  private drop(p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(`${p.m.list}/${p.m.listVersion}`);
    this.session?.current()?.unsubscribe(p.topic);
  }

  /** After a version went live: fetch the remembered delta when it applies on top of it. */
  private afterApply(list: string): void {
    const d = this.deltas.get(list);
    if (!d) return;
    const live = this.opts.target.listVersion(list);
    if (d.listVersion <= live) this.deltas.delete(list);
    else if (d.baseVersion === live) this.fetch(d);
  }

  private async applyDelta(m: Manifest, body: Buffer): Promise<void> {
    try {
      const target = this.opts.target;
      if (!target.applyDelta) throw new Error('this unit does not apply deltas');
      const live = target.listVersion(m.list);
      if (m.baseVersion !== live) {
        throw new Error(`delta applies to version ${m.baseVersion}, the live version is ${live || 'none'}`);
      }
      const changes = await deltaChanges(
        body,
        { list: m.list, now: m.issuedAt, source: `sync:${m.keyId}` },
        m.changes ?? 0,
      );
      const n = await target.applyDelta(
        {
          list: m.list,
          version: m.listVersion,
          baseVersion: m.baseVersion,
          issuedAt: m.issuedAt,
          source: `sync:${m.keyId}`,
          expectedEntries: m.entries,
        },
        changes,
      );
      this.opts.log.info(
        { list: m.list, version: m.listVersion, base: m.baseVersion, changes: changes.length, entries: n },
        'hot-list delta applied',
      );
      this.ack(m.list, m.listVersion, 'applied', null);
      this.deltas.delete(m.list);
    } catch (err) {
      this.refuseContent(m, (err as Error).message);
    }
  }

  private async apply(m: Manifest, body: Buffer): Promise<void> {
    try {
      const n = await this.opts.target.applyVersion(
        {
          list: m.list,
          version: m.listVersion,
          issuedAt: m.issuedAt,
          source: `sync:${m.keyId}`,
          expectedEntries: m.entries,
        },
        snapshotEntries(body, m),
      );
      this.opts.log.info({ list: m.list, version: m.listVersion, entries: n }, 'hot-list snapshot applied');
      this.ack(m.list, m.listVersion, 'applied', null);
      this.afterApply(m.list);
    } catch (err) {
      this.refuseContent(m, (err as Error).message);
    }
  }

  /**
   * A signed body whose rows the store refuses (a bad row, a wrong count): the same manifest read
   * again by a refresh would fetch and refuse the same body, so it is remembered as refused.
   * Truncated and corrupted bodies are not: a chunk missing or stale on one broker node may arrive
   * whole on the next read.
   */
  private refuseContent(m: Manifest, reason: string): void {
    const o = this.origins.get(m);
    if (o) this.refused.set(o.topic, o.seen);
    this.reject(m.list, m.listVersion, reason);
  }

  private reject(list: string, listVersion: number, reason: string): void {
    // the list's name comes from a topic anyone allowed to write it chose: a log line gets 64 characters of it
    const name = list.length > 64 ? `${list.slice(0, 64)}…` : list;
    this.refusals.reject(`${name} v${listVersion}: ${reason}`);
    this.ack(list, listVersion, 'rejected', reason);
  }

  private ack(
    list: string,
    listVersion: number,
    status: 'applied' | 'rejected',
    reason: string | null,
  ): void {
    const ack: Ack = {
      type: 'hotlist-ack',
      version: 1,
      id: uuidv7(),
      unit: this.opts.unitId,
      list,
      current: this.opts.target.listVersion(list),
      last: { listVersion, status, reason, at: Date.now() },
    };
    if (/^[A-Z][A-Z0-9_]{1,31}$/.test(list)) {
      this.session
        ?.current()
        ?.publish(
          topics.ack(this.opts.topicBase, this.opts.agency, this.opts.unitId, list),
          JSON.stringify(ack),
          {
            qos: 1,
            retain: true,
          },
        );
    }
    this.opts.onResult?.(ack);
  }
}
