import type Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import {
  HOLD_LEDGER_MS,
  type HoldOrder,
  type OutboxCursor,
  type OutboxMessage,
  OutboxPriority,
  RESEND_PRIORITY,
  type TallyQuery,
} from '../domain/ports.ts';
import { HOUR_MS } from '../domain/tally.ts';
import type { Hit, Read } from '../domain/types.ts';
import { bestEffort, emptyPurge, type PurgeResult, type SpaceFreed } from './freed.ts';
import { CLOCK_FLOOR_MS, type PurgeRule } from './retention.ts';
import { PARKED } from './file.ts';
import type { Sealer } from './seal.ts';

export type { PurgeResult, SpaceFreed } from './freed.ts';

type Db = Database.Database;

const HOUR = HOUR_MS;

interface OutboxRow {
  seq: number;
  priority: number;
  kind: string;
  ref: string;
  enqueued_at: number;
}

/** Typed access to the store's tables; personal fields go through the Sealer. */
export class StoreDb {
  private readonly st;
  private pending: number;

  constructor(
    readonly db: Db,
    private readonly sealer: Sealer,
  ) {
    this.st = {
      insRead: db.prepare(
        'INSERT OR IGNORE INTO reads (id, captured_at, camera_id, plate_tag, body, stored_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insHit: db.prepare(
        'INSERT OR IGNORE INTO hits (id, read_id, captured_at, plate_tag, body, stored_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insImage: db.prepare(
        'INSERT OR IGNORE INTO images (read_id, kind, body, bytes, captured_at) SELECT ?, ?, ?, ?, captured_at FROM reads WHERE id = ?',
      ),
      enqueue: db.prepare('INSERT INTO outbox (priority, kind, ref, enqueued_at) VALUES (?, ?, ?, ?)'),
      // Two index range scans rather than one row-value comparison: SQLite would scan the whole
      // priority up to the cursor with the latter (measured: 56 ms per peek at 300k queued).
      peekFirst: db.prepare(
        `SELECT seq, priority, kind, ref, enqueued_at FROM outbox WHERE priority < ${PARKED} ORDER BY priority, seq LIMIT ?`,
      ),
      peekSame: db.prepare(
        'SELECT seq, priority, kind, ref, enqueued_at FROM outbox WHERE priority = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      peekAfter: db.prepare(
        `SELECT seq, priority, kind, ref, enqueued_at FROM outbox WHERE priority > ? AND priority < ${PARKED}
         ORDER BY priority, seq LIMIT ?`,
      ),
      readBody: db.prepare('SELECT body FROM reads WHERE id = ?').pluck(),
      hasRead: db.prepare('SELECT 1 FROM reads WHERE id = ?').pluck(),
      hitBody: db.prepare('SELECT body FROM hits WHERE id = ?').pluck(),
      imageBody: db.prepare('SELECT body FROM images WHERE read_id = ? AND kind = ?').pluck(),
      ackOne: db.prepare('DELETE FROM outbox WHERE seq = ? RETURNING kind, ref'),
      syncRead: db.prepare('UPDATE reads SET synced_at = ? WHERE id = ?'),
      syncHit: db.prepare('UPDATE hits SET synced_at = ? WHERE id = ?'),
      syncImage: db.prepare('UPDATE images SET synced_at = ? WHERE read_id = ? AND kind = ?'),
      dropOutbox: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      setMeta: db.prepare(
        'INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v',
      ),
      getMeta: db.prepare('SELECT v FROM meta WHERE k = ?').pluck(),
      hold: db.prepare('UPDATE reads SET hold_ref = ? WHERE id = ? AND (hold_ref IS NULL OR hold_ref = ?)'),
      release: db.prepare('UPDATE reads SET hold_ref = NULL WHERE id = ? AND hold_ref = ?'),
      count: db.prepare('SELECT count(*) FROM outbox').pluck(),
      park: db.prepare(`UPDATE outbox SET priority = priority + ${PARKED} WHERE seq = ?`),
    };
    this.pending = this.st.count.get() as number;
  }

  /** Stores a read and queues it, in one transaction. False when the id was already stored. */
  readonly putRead = (read: Read, now: number): boolean => this.atomic(() => this.insertRead(read, now));

  readonly putHit = (hit: Hit, now: number): boolean => this.atomic(() => this.insertHit(hit, now));

  /**
   * Stores a read, the hits raised for it and their outbox rows in one transaction: a crash
   * never leaves a read without its hits, nor a hit without its read. Returns what was new.
   */
  readonly putReadWithHits = (
    read: Read,
    hits: readonly Hit[],
    now: number,
  ): { read: boolean; hits: number } =>
    this.atomic(() => {
      const added = this.insertRead(read, now);
      let n = 0;
      for (const hit of hits) if (this.insertHit(hit, now)) n++;
      return { read: added, hits: n };
    });

  /**
   * One transaction. When it fails (a commit refused on a full disk included) the queue-depth
   * counter is recounted from the table: restoring a saved value is wrong when the failure comes
   * after the counter moved, or when another path changed it meanwhile.
   */
  private atomic<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.recount();
      throw err;
    }
  }

  /** Sets the queue-depth counter from the outbox table; a failed count leaves it as it was. */
  recount(): number {
    try {
      this.pending = this.st.count.get() as number;
    } catch {
      // Reading needs no free space; if even that fails the next failure recounts again.
    }
    return this.pending;
  }

  /** True when a read with this id is stored. */
  hasRead(id: string): boolean {
    return this.st.hasRead.get(id) !== undefined;
  }

  // Callers hold a transaction (atomic), which puts `pending` back if the rows roll back.
  private insertRead(read: Read, now: number): boolean {
    const body = this.sealer.seal(Buffer.from(JSON.stringify(read)), `reads:${read.id}:body`);
    const at = Date.parse(read.capturedAt);
    const r = this.st.insRead.run(read.id, at, read.cameraId, this.sealer.plateTag(read.plate), body, now);
    if (r.changes === 0) return false;
    this.st.enqueue.run(OutboxPriority.read, 'read', read.id, now);
    this.pending++;
    return true;
  }

  private insertHit(hit: Hit, now: number): boolean {
    const body = this.sealer.seal(Buffer.from(JSON.stringify(hit)), `hits:${hit.id}:body`);
    const at = Date.parse(hit.capturedAt);
    const r = this.st.insHit.run(hit.id, hit.readId, at, this.sealer.plateTag(hit.plate), body, now);
    if (r.changes === 0) return false;
    this.st.enqueue.run(OutboxPriority.hit, 'hit', hit.id, now);
    this.pending++;
    return true;
  }

  /** Stores an image of a stored read; queues it when `enqueue`. False if the read is unknown or the image exists. */
  readonly putImage = (readId: string, kind: string, jpeg: Buffer, enqueue: boolean, now: number): boolean =>
    this.atomic(() => {
      const body = this.sealer.seal(jpeg, `images:${readId}:${kind}`);
      const r = this.st.insImage.run(readId, kind, body, jpeg.length, readId);
      if (r.changes === 0) return false;
      if (enqueue) {
        this.st.enqueue.run(OutboxPriority.image, 'image', `${readId}:${kind}`, now);
        this.pending++;
      }
      return true;
    });

  /**
   * Pending messages in upload order. A row that cannot be opened (bad key, corruption) is parked
   * out of the upload order, reported through `onParked`, and kept for investigation: one bad row
   * must not block the queue behind it.
   */
  peek(
    limit: number,
    after?: OutboxCursor,
    onParked?: (seq: number, kind: string, err: unknown) => void,
  ): OutboxMessage[] {
    let rows: OutboxRow[];
    if (!after) rows = this.st.peekFirst.all(limit) as OutboxRow[];
    else {
      rows = this.st.peekSame.all(after.priority, after.seq, limit) as OutboxRow[];
      if (rows.length < limit)
        rows.push(...(this.st.peekAfter.all(after.priority, limit - rows.length) as OutboxRow[]));
    }
    const out: OutboxMessage[] = [];
    for (const row of rows) {
      try {
        const m = this.load(row);
        if (m) out.push(m);
      } catch (err) {
        if (!onParked) throw err;
        this.st.park.run(row.seq);
        onParked(row.seq, row.kind, err);
      }
    }
    return out;
  }

  private load(row: OutboxRow): OutboxMessage | null {
    const base = { seq: row.seq, priority: row.priority, enqueuedAt: row.enqueued_at };
    if (row.kind === 'read') {
      const b = this.st.readBody.get(row.ref) as Buffer | undefined;
      if (b) return { ...base, kind: 'read', id: row.ref, read: this.openJson(b, `reads:${row.ref}:body`) };
    } else if (row.kind === 'hit') {
      const b = this.st.hitBody.get(row.ref) as Buffer | undefined;
      if (b) return { ...base, kind: 'hit', id: row.ref, hit: this.openJson(b, `hits:${row.ref}:body`) };
    } else if (row.kind === 'image') {
      const [readId = '', imageKind = ''] = splitImageRef(row.ref);
      const b = this.st.imageBody.get(readId, imageKind) as Buffer | undefined;
      if (b) {
        const jpeg = this.sealer.open(b, `images:${readId}:${imageKind}`);
        return { ...base, kind: 'image', id: row.ref, readId, imageKind, jpeg };
      }
    }
    // The record is gone (purged at the hard maximum): the queue entry has nothing left to send.
    if (this.st.dropOutbox.run(row.seq).changes > 0) this.pending--;
    return null;
  }

  private openJson<T>(blob: Buffer, aad: string): T {
    return JSON.parse(this.sealer.open(blob, aad).toString('utf8')) as T;
  }

  /** Deletes acknowledged queue entries and marks their records synced. */
  readonly ack = (seqs: readonly number[], now: number): number =>
    this.atomic(() => {
      let reads = 0;
      let n = 0;
      for (const seq of seqs) {
        const r = this.st.ackOne.get(seq) as { kind: string; ref: string } | undefined;
        if (!r) continue;
        n++;
        if (r.kind === 'read') {
          this.st.syncRead.run(now, r.ref);
          reads++;
        } else if (r.kind === 'hit') this.st.syncHit.run(now, r.ref);
        else {
          const [readId = '', kind = ''] = splitImageRef(r.ref);
          this.st.syncImage.run(now, readId, kind);
        }
      }
      if (reads > 0) this.st.setMeta.run('last_acked_at', String(now));
      this.pending -= n;
      return n;
    });

  /**
   * Synced reads and hits per hour of capture (acknowledged before `ackedBefore`): the hours
   * captured in [since, until) and the hours of records acknowledged in [ackedSince, ackedBefore),
   * at most `maxHours` (the newest). Each hour is counted on the capture index.
   */
  tally(q: TallyQuery): { h: number; n: number }[][] {
    const hours = new Set<number>();
    for (let h = Math.floor(q.since / HOUR) * HOUR; h < q.until; h += HOUR) hours.add(h);
    for (const t of ['reads', 'hits'])
      for (const h of this.db
        .prepare(
          `SELECT DISTINCT (captured_at / ${HOUR}) * ${HOUR} FROM ${t} WHERE synced_at >= ? AND synced_at < ?`,
        )
        .pluck()
        .all(q.ackedSince, q.ackedBefore) as number[])
        hours.add(h);
    const counted = ['reads', 'hits'].map((t) => {
      const count = this.db
        .prepare(
          `SELECT count(*) FROM ${t} WHERE captured_at >= ? AND captured_at < ? AND synced_at IS NOT NULL AND synced_at < ?`,
        )
        .pluck();
      return new Map([...hours].map((h) => [h, count.get(h, h + HOUR, q.ackedBefore) as number]));
    });
    const [reads = new Map(), hits = new Map()] = counted;
    const kept = new Set(
      [...hours]
        .filter((h) => (reads.get(h) ?? 0) + (hits.get(h) ?? 0) > 0)
        .sort((a, b) => a - b)
        .slice(-q.maxHours),
    );
    return counted.map((m) => [...m].filter(([h, n]) => kept.has(h) && n > 0).map(([h, n]) => ({ h, n })));
  }

  /**
   * Queues the synced reads and hits captured in [from, to) again, after everything new
   * (RESEND_PRIORITY), at most `limit` of each, leaving out those queued already. They stay
   * synced: retention and the disk watermark treat them as sent, and a queue entry whose record
   * was purged meanwhile is dropped when it comes up. Returns how many of each.
   */
  readonly requeue = (
    from: number,
    to: number,
    limit: number,
    now: number,
  ): { reads: number; hits: number } =>
    this.atomic(() => {
      const again = (table: 'reads' | 'hits', kind: 'read' | 'hit'): number => {
        const r = this.db
          .prepare(
            `INSERT INTO outbox (priority, kind, ref, enqueued_at)
             SELECT ${RESEND_PRIORITY}, '${kind}', id, ? FROM ${table} t
             WHERE captured_at >= ? AND captured_at < ? AND synced_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ref = t.id AND o.kind = '${kind}')
             ORDER BY captured_at LIMIT ?`,
          )
          .run(now, from, to, limit);
        this.pending += r.changes;
        return r.changes;
      };
      return { hits: again('hits', 'hit'), reads: again('reads', 'read') };
    });

  depth(): number {
    return this.pending;
  }

  /**
   * When the oldest message still waiting for the server was queued (parked ones aside), or null:
   * the first by seq (seq and enqueue time grow together), read by its key, not a scan.
   */
  oldestPendingAt(): number | null {
    return (
      (this.db
        .prepare(`SELECT enqueued_at FROM outbox WHERE priority < ${PARKED} ORDER BY seq LIMIT 1`)
        .pluck()
        .get() as number | undefined) ?? null
    );
  }

  lastAckedAt(): number | null {
    const v = this.st.getMeta.get('last_acked_at') as string | undefined;
    return v === undefined ? null : Number(v);
  }

  readonly setHold = (ids: readonly string[], ref: string, held: boolean, order?: HoldOrder): number =>
    this.atomic(() => {
      if (order && this.admitHold(ref, held, order) === 'again') return 0;
      let n = 0;
      for (const id of ids)
        n += (held ? this.st.hold.run(ref, id, ref) : this.st.release.run(id, ref)).changes;
      return n;
    });

  /**
   * The ledger of signed hold commands (in setHold's transaction): `again` for a command applied
   * already (a broker's second delivery); a command is refused when its id was used by another one,
   * or when it was issued before the last command of the other action applied for its ref (an old
   * release sent again after the case was held again; an old hold after its release). Two holds,
   * or two releases, apply in whatever order they come. The ledger forgets commands older than
   * HOLD_LEDGER_MS (receivers refuse those before they get here).
   */
  private admitHold(ref: string, held: boolean, o: HoldOrder): 'new' | 'again' {
    this.db.prepare('DELETE FROM hold_commands WHERE issued_at < ?').run(o.now - HOLD_LEDGER_MS);
    const seen = this.db.prepare('SELECT sig FROM hold_commands WHERE id = ?').pluck().get(o.id) as
      | string
      | undefined;
    if (seen === o.sig) return 'again';
    if (seen !== undefined)
      throw new AlprError(ErrorCodes.INPUT, `command id ${o.id} was used by another command already`);
    const last = this.db
      .prepare('SELECT max(issued_at) FROM hold_commands WHERE ref = ? AND held = ?')
      .pluck()
      .get(ref, held ? 0 : 1) as number | null;
    if (last !== null && last >= o.issuedAt)
      throw new AlprError(
        ErrorCodes.INPUT,
        `command ${o.id} was issued before the last ${held ? 'release' : 'hold'} applied for ${ref} (${new Date(last).toISOString()}): an old command sent again?`,
      );
    this.db
      .prepare('INSERT INTO hold_commands (id, ref, held, issued_at, sig) VALUES (?, ?, ?, ?, ?)')
      .run(o.id, ref, held ? 1 : 0, o.issuedAt, o.sig);
    return 'new';
  }

  /** Applies one retention rule, in batches; held reads and reads with unsent hits stay. */
  purge(rule: PurgeRule): PurgeResult {
    try {
      return this.purgeRule(rule);
    } catch (err) {
      this.recount();
      throw err;
    }
  }

  private purgeRule(rule: PurgeRule): PurgeResult {
    // At the hard maximum unsynced records go too. A record stamped by a clock not yet set has no
    // known age: it stays until the server has it and is then aged from that acknowledgement
    // (stamped by a set clock: the link's TLS checks certificates against it).
    const sent =
      'synced_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.read_id = reads.id AND h.synced_at IS NULL)';
    const where = `hold_ref IS NULL AND (
      (captured_at >= @floor AND captured_at < @before AND (@all = 1 OR (${sent})))
      OR (captured_at < @floor AND synced_at < @before AND ${sent}))`;
    const p = { before: rule.before, all: rule.includeUnsynced ? 1 : 0, floor: CLOCK_FLOOR_MS };
    const stats = this.db
      .prepare(
        `SELECT count(*) AS count, min(captured_at) AS "from", max(captured_at) AS "to" FROM reads WHERE ${where}`,
      )
      .get(p) as PurgeResult;
    const hitWhere = `((captured_at >= @floor AND captured_at < @before AND (@all = 1 OR synced_at IS NOT NULL))
      OR (captured_at < @floor AND synced_at < @before))
      AND NOT EXISTS (SELECT 1 FROM reads r WHERE r.id = hits.read_id AND r.hold_ref IS NOT NULL)`;
    const batch = this.db.prepare(`SELECT id FROM reads WHERE ${where} LIMIT 2000`).pluck();
    stats.hits = 0;
    stats.images = 0;
    const step = (ids: string[]) =>
      this.atomic(() => {
        const list = `(${ids.map(() => '?').join(',')})`;
        const images = this.db
          .prepare(`DELETE FROM images WHERE read_id IN ${list} RETURNING read_id || ':' || kind`)
          .pluck()
          .all(...ids) as string[];
        const hits = this.db
          .prepare(`DELETE FROM hits WHERE read_id IN ${list} RETURNING id`)
          .pluck()
          .all(...ids) as string[];
        this.dropQueued('read', ids);
        this.dropQueued('hit', hits);
        this.dropQueued('image', images);
        this.db.prepare(`DELETE FROM reads WHERE id IN ${list}`).run(...ids);
        stats.hits += hits.length;
        stats.images += images.length;
      });
    for (let ids = batch.all(p) as string[]; ids.length > 0; ids = batch.all(p) as string[]) step(ids);
    // Hits whose read is not stored here (or already gone) follow the same rule by their own time.
    const orphans = this.db
      .prepare(`DELETE FROM hits WHERE ${hitWhere} RETURNING id`)
      .pluck()
      .all(p) as string[];
    if (rule.includeUnsynced) this.dropQueued('hit', orphans);
    stats.hits += orphans.length;
    if (stats.count + stats.hits > 0) bestEffort(() => this.db.pragma('incremental_vacuum'));
    return stats;
  }

  /** Removes the queue entries of purged records (in chunks: SQLite caps bound parameters). */
  private dropQueued(kind: string, refs: readonly string[]): void {
    for (let i = 0; i < refs.length; i += 500) {
      const part = refs.slice(i, i + 500);
      const list = `(${part.map(() => '?').join(',')})`;
      this.pending -= this.db
        .prepare(`DELETE FROM outbox WHERE kind = ? AND ref IN ${list}`)
        .run(kind, ...part).changes;
    }
  }

  /**
   * One step of freeing space, in the policy's order: the oldest synced images, else the oldest
   * synced reads (with their synced hits and images), else overview images of unsynced reads.
   * Hits that are not synced, and unsynced reads themselves, are never purged here. Nothing in it
   * needs free space first: no checkpoint before the deletes, which log little. `giveBack` returns
   * the freed pages to the filesystem (vacuum, log truncated), as the watermark wants; on a full
   * disk it must not: a vacuum logs every page it moves (megabytes) and fails there, and pages
   * kept in the file are what the next writes reuse, the log's file included.
   */
  purgeForSpace(limit: number, giveBack: boolean): SpaceFreed {
    let freed: SpaceFreed;
    try {
      freed = this.purgeStep(limit);
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_FULL') throw err;
      // No room to log the deletes: a checkpoint lets the log start over inside its own file
      // (the caller has released the reserve for it), then one more try.
      bestEffort(() => this.db.pragma('wal_checkpoint(PASSIVE)'));
      freed = this.purgeStep(limit);
    }
    if (giveBack) bestEffort(() => this.db.pragma('incremental_vacuum'));
    bestEffort(() => this.db.pragma(`wal_checkpoint(${giveBack ? 'TRUNCATE' : 'PASSIVE'})`));
    return freed;
  }

  private purgeStep(limit: number): SpaceFreed {
    const freed: SpaceFreed = { images: 0, reads: emptyPurge(), overviews: 0 };
    try {
      freed.images = this.db
        .prepare(
          `DELETE FROM images WHERE rowid IN (SELECT rowid FROM images WHERE synced_at IS NOT NULL
           OR read_id IN (SELECT id FROM reads WHERE synced_at IS NOT NULL) ORDER BY captured_at LIMIT ?)`,
        )
        .run(limit).changes;
      if (freed.images === 0) freed.reads = this.purgeOldestSyncedReads(limit);
      if (freed.images === 0 && freed.reads.count === 0) freed.overviews = this.purgeUnsyncedOverviews(limit);
    } catch (err) {
      this.recount();
      throw err;
    }
    return freed;
  }

  private purgeOldestSyncedReads(limit: number): PurgeResult {
    const last = this.db
      .prepare(
        `SELECT captured_at FROM reads WHERE synced_at IS NOT NULL AND hold_ref IS NULL
         AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.read_id = reads.id AND h.synced_at IS NULL)
         ORDER BY captured_at LIMIT 1 OFFSET ?`,
      )
      .pluck()
      .get(Math.max(0, limit - 1)) as number | undefined;
    const before = last === undefined ? Number.MAX_SAFE_INTEGER : last + 1;
    return this.purgeRule({ reason: 'disk-watermark', before, includeUnsynced: false });
  }

  /** Overviews of unsynced, unheld reads: the read and its plate crop stay and still go up. */
  private purgeUnsyncedOverviews(limit: number): number {
    return this.atomic(() => {
      const refs = this.db
        .prepare(
          `DELETE FROM images WHERE rowid IN (SELECT i.rowid FROM images i JOIN reads r ON r.id = i.read_id
           WHERE i.kind = 'overview' AND r.hold_ref IS NULL ORDER BY i.captured_at LIMIT ?)
           RETURNING read_id || ':' || kind`,
        )
        .pluck()
        .all(limit) as string[];
      this.dropQueued('image', refs);
      return refs.length;
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function splitImageRef(ref: string): string[] {
  const i = ref.lastIndexOf(':');
  return [ref.slice(0, i), ref.slice(i + 1)];
}
