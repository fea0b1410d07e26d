/**
 * The sync stage's outbox pump on one live connection: fills an in-flight window of QoS 1
 * publishes from the store's outbox in priority order (hits, then queued records, then reads,
 * then images), `batch` rows read at a time from a cursor, so memory stays bounded whatever the
 * backlog; acknowledges rows to the store only on PUBACK, in batches; keeps within the bandwidth
 * cap. The stage owns the connection and calls `begin` once the broker has accepted its status,
 * `halt` when the connection ends.
 */
import type { MqttClient } from 'mqtt';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../core/log.ts';
import type { OutboxCursor, OutboxMessage, OutboxPort } from '../domain/ports.ts';
import type { RecordDrain } from './records.ts';
import { TokenBucket } from './state.ts';
import { payloads, topics, type UnitRef } from './topics.ts';
import { NO_MATCHING_SUBSCRIBERS, UnheardTopics } from './unheard.ts';

type MqttConfig = Extract<Config['sync'], { type: 'mqtt' }>;

/** Unacknowledged publishes older than this are given up on and sent again (idempotent by id). */
export const STUCK_MS = 120_000;
/**
 * After the broker refuses a publish (ACL, quota), or has no receiver for its topic, wait this long
 * before trying the queue (or that topic) again.
 */
export const REFUSED_RETRY_MS = 30_000;

export interface UploaderOptions {
  config: MqttConfig;
  unit: UnitRef;
  outbox: OutboxPort;
  records: RecordDrain | null;
  log: Logger;
  now: () => number;
  /**
   * A clock for the pace, the probes of topics without a receiver and the publishes' time in
   * flight (ms): monotonic, so that NTP or GPS setting the wall clock back by hours does not hold
   * every upload back as long (default performance.now).
   */
  tick?: () => number;
  /** Shared with the stage: what was published and acknowledged. */
  stats: { published: number; acked: number };
  /** A publish was acknowledged (the link works end to end). */
  onAcked: () => void;
  /**
   * The broker refused a publish on `topic` (the stage logs and lights it); that topic is held
   * from then on, probed every retryMs, until the broker takes one.
   */
  onRefused: (err: unknown, topic: string) => void;
  /**
   * The kinds of record (topics' last segments) the broker has no receiver for changed: held on
   * the unit while the list is not empty (unheard.ts).
   */
  onUnheard?: (kinds: string[]) => void;
  /** REFUSED_RETRY_MS unless given (tests). */
  retryMs?: number;
}

export class Uploader {
  private client: MqttClient | null = null;
  /** Bumped by begin/halt: callbacks of an ended connection no longer steer the window. */
  private gen = 0;
  private window = 1;
  private paused = false;
  private pumping = false;
  private cursor: OutboxCursor | null = null;
  /** seq → epoch ms published */
  private readonly inflight = new Map<number, number>();
  private acks: number[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private capTimer: NodeJS.Timeout | null = null;
  /** The bandwidth cap (maxBytesPerSecond; 0 = none), with at least one message of burst. */
  private readonly bucket: TokenBucket;
  private readonly retryMs: number;
  /** This unit's topics (fixed for the uploader's life). */
  private readonly topics: ReturnType<typeof topics>;
  /** Topics the broker has no receiver for: their messages stay queued (unheard.ts). */
  private readonly unheard: UnheardTopics;
  /**
   * Topics the broker refused a publish on (an ACL without `hit`): held as unheard ones are, one
   * probe every retryMs, across connections (Mosquitto drops the connection after a refused
   * publish, and the next would lead with the same message), so that the other kinds go on.
   */
  private readonly refused: UnheardTopics;
  /**
   * The packet ids of this uploader's own publishes in flight (not the stage's status, health or
   * hold results, which may well have no subscriber), and those of them the broker acknowledged
   * with "no matching subscribers", until their callbacks run.
   */
  private readonly ownIds = new Set<number>();
  private readonly unheardIds = new Set<number>();
  private readonly onPacket = (p: { cmd: string; reasonCode?: number; messageId?: number }): void => {
    if (p.cmd !== 'puback' || p.reasonCode !== NO_MATCHING_SUBSCRIBERS || p.messageId === undefined) return;
    if (this.ownIds.has(p.messageId)) this.unheardIds.add(p.messageId);
  };

  private readonly tick: () => number;

  constructor(private readonly o: UploaderOptions) {
    this.tick = o.tick ?? (() => performance.now());
    const rate = o.config.maxBytesPerSecond;
    this.bucket = new TokenBucket(rate, Math.max(rate, 16 * 1024), this.tick());
    this.retryMs = o.retryMs ?? REFUSED_RETRY_MS;
    this.unheard = new UnheardTopics(this.retryMs);
    this.refused = new UnheardTopics(this.retryMs);
    this.topics = topics(o.config.topicBase, o.unit);
  }

  /** The kinds of record the broker refuses (held, probed every retryMs). */
  get refusedKinds(): string[] {
    return this.refused.kinds();
  }

  /** The kinds of record held on the unit for want of a receiver (empty: none). */
  get unheardKinds(): string[] {
    return this.unheard.kinds();
  }

  /** Publishes not yet acknowledged (outbox and record queue). */
  get inflightCount(): number {
    return this.inflight.size + (this.o.records?.inflightCount ?? 0);
  }

  /** The broker accepted our status on this connection: start draining with this window. */
  begin(client: MqttClient, window: number): void {
    this.gen++;
    this.client?.off('packetreceive', this.onPacket);
    client.on('packetreceive', this.onPacket);
    this.ownIds.clear();
    this.unheardIds.clear();
    this.client = client;
    this.window = window;
    this.paused = false;
    this.cursor = null;
    this.o.records?.reset();
    this.pump();
    // kinds still held from the last connection: their probes go on
    if (this.unheard.size + this.refused.size > 0) this.retryLater();
  }

  /** Stops taking new rows (stopping); acknowledgements of what is in flight still count. */
  pause(): void {
    this.paused = true;
  }

  /** The connection ended: forget what was in flight (sent again next time), keep what was acked. */
  halt(): void {
    this.gen++;
    this.client?.off('packetreceive', this.onPacket);
    this.ownIds.clear();
    this.unheardIds.clear();
    this.client = null;
    for (const t of [this.retryTimer, this.capTimer]) if (t) clearTimeout(t);
    this.retryTimer = this.capTimer = null;
    this.flushAcks();
    this.inflight.clear();
    this.cursor = null;
    this.o.records?.reset();
  }

  /** New rows were queued at `priority`: a hit jumps ahead of the reads being sent. */
  enqueued(priority: number): void {
    if (this.cursor && priority < this.cursor.priority) this.cursor = null;
    this.pump();
  }

  /** Gives up on publishes unacknowledged for STUCK_MS and sends them again; returns how many. */
  resendStuck(): number {
    if (!this.client) return 0;
    const now = this.tick();
    let stuck = 0;
    for (const [seq, at] of this.inflight) {
      if (now - at > STUCK_MS) {
        this.inflight.delete(seq);
        stuck++;
      }
    }
    stuck += this.o.records?.dropStuck(STUCK_MS) ?? 0;
    if (stuck > 0) {
      this.o.log.warn({ count: stuck }, 'no acknowledgement in time; sending again');
      this.cursor = null;
      this.pump();
    }
    return stuck;
  }

  /** Fills the in-flight window from the outbox, in priority order, within the bandwidth cap. */
  pump(): void {
    const client = this.client;
    if (!client || this.paused || this.pumping) return;
    this.pumping = true;
    try {
      while (this.client === client && this.room() > 0) {
        const want = Math.min(this.o.config.batch, this.room());
        const msgs = this.o.outbox.peek(want, this.cursor ?? undefined);
        for (const m of msgs) {
          if (this.room() <= 0) return;
          // Queued records go after the hits, before the reads.
          if (m.kind !== 'hit' && !this.fillRecords(client)) return;
          const before = this.cursor;
          this.cursor = { priority: m.priority, seq: m.seq };
          if (this.inflight.has(m.seq)) continue;
          // no receiver for its kind: it stays queued, not even encoded (the retry comes back for it)
          const topic = this.topicOf(m);
          if (topic === null || !this.mayPublish(topic)) continue;
          const body = this.encode(m);
          const wait = this.bucket.take(body.length, this.tick());
          if (wait > 0) {
            this.cursor = before;
            this.waitCap(wait);
            return;
          }
          this.publish(client, m.seq, topic, body);
        }
        if (msgs.length < want) {
          this.fillRecords(client);
          return;
        }
      }
    } catch (err) {
      this.o.log.error({ err }, 'outbox read failed');
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The broker refused a publish (e.g. ACL) or had no receiver for it: the message stays queued;
   * try the queue again later (and again while a topic is held, for its probe).
   */
  retryLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.cursor = null;
      this.o.records?.rewind();
      this.pump();
      if (this.unheard.size + this.refused.size > 0 && this.client) this.retryLater();
    }, this.retryMs);
  }

  /** Free slots in the in-flight window, shared by the outbox and the record queue. */
  private room(): number {
    return this.window - this.inflightCount;
  }

  private waitCap(wait: number): void {
    if (this.capTimer) return;
    this.capTimer = setTimeout(() => {
      this.capTimer = null;
      this.pump();
    }, wait);
  }

  /** Publishes queued records while there is room; false while some still wait (window or cap). */
  private fillRecords(client: MqttClient): boolean {
    const r =
      this.o.records?.fill({
        room: () => this.room(),
        take: (bytes) => this.bucket.take(bytes, this.tick()),
        publish: (topic, body, done) => this.send(client, topic, body, done),
        may: (topic) => this.mayPublish(topic),
        topicBase: this.o.config.topicBase,
        batch: this.o.config.batch,
      }) ?? 'done';
    if (typeof r === 'number') this.waitCap(r);
    return r === 'done';
  }

  /** The topic a queued message goes to; null for one not sent (images, when they are off). */
  private topicOf(m: OutboxMessage): string | null {
    if (m.kind === 'hit') return this.topics.hit;
    if (m.kind === 'read') return this.topics.read;
    return this.o.config.images ? this.topics.image : null;
  }

  /** A queued message's payload (its topic: topicOf). */
  private encode(m: OutboxMessage): Buffer {
    const now = this.o.now();
    const u = this.o.unit;
    const p =
      m.kind === 'hit'
        ? payloads.hit(u, m.hit, now)
        : m.kind === 'read'
          ? payloads.read(u, m.read, now)
          : payloads.image(u, m.id, m.readId, m.imageKind, m.jpeg, now);
    return Buffer.from(JSON.stringify(p));
  }

  private publish(client: MqttClient, seq: number, topic: string, body: Buffer): void {
    const gen = this.gen;
    this.inflight.set(seq, this.tick());
    this.send(client, topic, body, (ok) => {
      if (ok) this.acks.push(seq);
      if (gen === this.gen) this.inflight.delete(seq);
    });
  }

  /** QoS 1 publish; `done(true)` on its PUBACK, `done(false)` when refused on this connection. */
  private send(client: MqttClient, topic: string, body: Buffer, done: (ok: boolean) => void): void {
    const gen = this.gen;
    this.o.stats.published++;
    client.publish(topic, body, { qos: 1 }, (err, packet) => {
      const id = (packet as { messageId?: number } | undefined)?.messageId;
      if (id !== undefined) this.ownIds.delete(id);
      if (!err && id !== undefined && this.unheardIds.delete(id)) {
        // acknowledged, but for no one: not delivered
        if (gen === this.gen) {
          done(false);
          this.hold(topic);
        }
      } else if (!err) {
        this.o.stats.acked++;
        const released = this.unheard.heard(topic);
        if (this.refused.heard(topic))
          this.o.log.info({ topic }, 'the broker takes this kind of record again');
        this.o.onAcked();
        done(true);
        this.scheduleFlush();
        if (released) {
          this.o.onUnheard?.(this.unheard.kinds());
          // what was kept of that kind goes now, not at the next turn of the probe timer
          this.cursor = null;
          this.o.records?.rewind();
          this.pump();
        }
      } else {
        // a refusal (an MQTT 5 reason code of 0x80 or more: not authorized, quota) holds its
        // topic whatever became of the connection, which the broker may close right after; a
        // publish cut short by a lost connection holds nothing
        if (isRefusal(err)) this.refused.unheard(topic, this.tick());
        if (gen === this.gen) {
          done(false);
          this.o.onRefused(err, topic);
        }
      }
    });
    // the id the publish took (mqtt.js gives it at once on a live connection): ours to watch
    const sent = client.getLastMessageId?.();
    if (typeof sent === 'number') this.ownIds.add(sent);
  }

  /** Whether a message on `topic` may go now: always, unless its topic is held (a probe per turn). */
  private mayPublish(topic: string): boolean {
    const now = this.tick();
    return this.unheard.mayPublish(topic, now) && this.refused.mayPublish(topic, now);
  }

  /** The broker has no receiver for `topic`: its messages stay queued, probed every retryMs. */
  private hold(topic: string): void {
    if (this.unheard.unheard(topic, this.tick())) this.o.onUnheard?.(this.unheard.kinds());
    this.retryLater();
  }

  private scheduleFlush(): void {
    if (this.acks.length + (this.o.records?.pendingAcks() ?? 0) >= this.o.config.batch) {
      this.flushAcks();
      return;
    }
    this.flushTimer ??= setTimeout(() => this.flushAcks(), 10);
  }

  private flushAcks(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.o.records?.flush();
    if (this.acks.length > 0) {
      const seqs = this.acks;
      this.acks = [];
      try {
        this.o.outbox.ack(seqs);
      } catch (err) {
        this.o.log.error({ err }, 'cannot record acknowledgements (messages will be sent again)');
      }
    }
    if (this.room() >= this.window / 2) this.pump();
  }
}

/** A broker's refusal of a publish: an MQTT 5 PUBACK reason code of 0x80 or more. */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 0x80;
}
