/**
 * Drains the store's record queue (RecordQueuePort: hit-state changes, shift checks, audit rows,
 * officer hot plates) for the sync stage: QoS 1, the record's id as the envelope id, dropped from
 * the queue only on the broker's PUBACK. The sync stage calls `fill` after the hits and before the
 * reads, shares its in-flight window and bandwidth cap with it, and calls `reset` on every new
 * connection (everything not acknowledged is sent again; the server de-duplicates on id).
 */
import type { Logger } from '../core/log.ts';
import type { QueuedRecord, RecordQueuePort } from '../domain/ports.ts';
import { payloads, recordTopic, type UnitRef } from './topics.ts';

/** QoS 1 publish: `done(true)` on its PUBACK, `done(false)` when refused on the same connection. */
export type Publish = (topic: string, body: Buffer, done: (ok: boolean) => void) => void;

export interface FillOptions {
  /** Free slots in the shared in-flight window. */
  room: () => number;
  /** Takes `bytes` from the bandwidth cap; returns ms to wait (0 = go). */
  take: (bytes: number) => number;
  publish: Publish;
  /** May a record on this topic go now (false: its kind has no receiver; it stays queued)? */
  may?: (topic: string) => boolean;
  topicBase: string;
  batch: number;
}

/** `done`: nothing left to send (all sent or in flight); `full`: the window is full; a number: wait that many ms. */
export type FillResult = 'done' | 'full' | number;

export class RecordDrain {
  /** The last seq handed out on this connection; re-read from 0 after a reset. */
  private after = 0;
  /** seq → epoch ms published */
  private readonly inflight = new Map<number, number>();
  private acks: number[] = [];
  private gen = 0;
  /** Counters for tests and status. */
  readonly stats = { published: 0, acked: 0 };

  constructor(
    private readonly port: RecordQueuePort,
    private readonly unit: UnitRef,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  depth(): number {
    return this.port.depth();
  }

  /** A new connection (or the old one ended): forget what was in flight, read again from the start. */
  reset(): void {
    this.gen++;
    this.inflight.clear();
    this.after = 0;
    this.flush();
  }

  /** Reads the queue again from its start on the next fill (records skipped while held). */
  rewind(): void {
    this.after = 0;
  }

  /** Publishes queued records while the window and the cap allow. */
  fill(o: FillOptions): FillResult {
    while (o.room() > 0) {
      const want = Math.min(o.batch, o.room());
      const recs = this.port.peek(want, this.after);
      for (const r of recs) {
        if (o.room() <= 0) return 'full';
        if (this.inflight.has(r.seq)) {
          this.after = r.seq;
          continue;
        }
        if (o.may && !o.may(recordTopic(o.topicBase, this.unit, r.kind))) {
          this.after = r.seq;
          continue;
        }
        const body = this.encode(r);
        const wait = o.take(body.length);
        if (wait > 0) return wait;
        this.after = r.seq;
        this.send(o, r, body);
      }
      if (recs.length < want) return 'done';
    }
    return 'full';
  }

  private encode(r: QueuedRecord): Buffer {
    return Buffer.from(JSON.stringify(payloads.record(this.unit, r, this.now())));
  }

  private send(o: FillOptions, r: QueuedRecord, body: Buffer): void {
    const gen = this.gen;
    this.inflight.set(r.seq, this.now());
    this.stats.published++;
    o.publish(recordTopic(o.topicBase, this.unit, r.kind), body, (ok) => {
      // Acknowledged even after a reconnect: delivered, so dropped from the queue.
      if (ok) {
        this.stats.acked++;
        this.acks.push(r.seq);
      }
      if (gen !== this.gen) return;
      this.inflight.delete(r.seq);
      // Refused (ACL, quota): read it again on the next fill.
      if (!ok) this.after = Math.min(this.after, r.seq - 1);
    });
  }

  /** Drops in-flight records older than `maxAgeMs` so they are sent again; returns how many. */
  dropStuck(maxAgeMs: number): number {
    const now = this.now();
    let n = 0;
    for (const [seq, at] of this.inflight) {
      if (now - at > maxAgeMs) {
        this.inflight.delete(seq);
        n++;
      }
    }
    if (n > 0) this.after = 0;
    return n;
  }

  /** Records the acknowledged records as delivered (the queue forgets them). */
  flush(): void {
    if (this.acks.length === 0) return;
    const seqs = this.acks;
    this.acks = [];
    try {
      this.port.ack(seqs);
    } catch (err) {
      this.log.error({ err }, 'cannot record record acknowledgements (they will be sent again)');
    }
  }

  pendingAcks(): number {
    return this.acks.length;
  }
}

/**
 * The queued record for an officer hot plate (list LOCAL), so the central server knows it.
 * The id is stable for the same entry (plate, state, created), so a second put is a no-op.
 */
export function hotPlateRecord<E extends { plate: string; state: string | null; created: number }>(
  entry: E,
  tag: (text: string) => string,
): { id: string; kind: 'hot-plate'; body: E; enqueuedAt: number } {
  return {
    // Stable across restarts (the server keeps one copy) yet without plate text: the id column and
    // the MQTT envelope are not encrypted. `tag` is a keyed hash (the store's).
    id: `hot-plate:${tag(`${entry.plate}|${entry.state ?? ''}|${entry.created}`)}`,
    kind: 'hot-plate',
    body: entry,
    // queued again at every start: the same time each time, so every copy is the same record
    enqueuedAt: entry.created,
  };
}
