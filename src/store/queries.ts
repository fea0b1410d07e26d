/**
 * Reads of the store for the officer's page (decrypting search, hit history, images) and the
 * record queue beside the outbox. Same file and sealer as StoreDb; kept apart to keep files small.
 */
import type Database from 'better-sqlite3';
import { distanceM } from '../domain/geo.ts';
import { normalizePlate } from '../domain/plate.ts';
import type { QueuedRecord, ReadQuery } from '../domain/ports.ts';
import type { Hit, Read } from '../domain/types.ts';
import type { Sealer } from './seal.ts';

export class StoreQueries {
  constructor(
    private readonly db: Database.Database,
    private readonly sealer: Sealer,
  ) {}

  private openJson<T>(blob: Buffer, aad: string): T {
    return JSON.parse(this.sealer.open(blob, aad).toString('utf8')) as T;
  }

  /**
   * Reads matching a query, newest first, decrypted. A whole plate is looked up by its keyed tag
   * (index); a partial plate or a place alone has to open every read in the time range, so at most
   * `scanLimit` of them are opened (the caller narrows the time range for more). Unreadable rows
   * are skipped.
   */
  searchReads(q: ReadQuery, scanLimit = 50_000): Read[] {
    const from = q.from ?? 0;
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    const plate = q.plate ? normalizePlate(q.plate) : '';
    const exact = plate !== '' && !q.partial;
    const rows = (
      exact
        ? this.db
            .prepare(
              'SELECT id, body FROM reads WHERE plate_tag = ? AND captured_at BETWEEN ? AND ? ORDER BY captured_at DESC LIMIT ?',
            )
            .all(this.sealer.plateTag(plate), from, to, q.near ? scanLimit : q.limit)
        : this.db
            .prepare(
              'SELECT id, body FROM reads WHERE captured_at BETWEEN ? AND ? ORDER BY captured_at DESC LIMIT ?',
            )
            .all(from, to, scanLimit)
    ) as { id: string; body: Buffer }[];
    const out: Read[] = [];
    for (const row of rows) {
      let read: Read;
      try {
        read = this.openJson<Read>(row.body, `reads:${row.id}:body`);
      } catch {
        continue;
      }
      if (
        !exact &&
        plate !== '' &&
        !read.candidates.some((c) => c.text.includes(plate)) &&
        !read.plate.includes(plate)
      )
        continue;
      const p = read.position;
      if (q.near && (p.lat === null || distanceM(p, q.near) > q.near.radiusM)) continue;
      out.push(read);
      if (out.length >= q.limit) break;
    }
    return out;
  }

  /** Queues a record for the server (sealed); false when its id is already queued. */
  putRecord(id: string, kind: string, body: unknown, now: number): boolean {
    const sealed = this.sealer.seal(Buffer.from(JSON.stringify(body)), `records:${id}`);
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO records (id, kind, body, enqueued_at) VALUES (?, ?, ?, ?)')
        .run(id, kind, sealed, now).changes > 0
    );
  }

  /** Queued records after `after`, oldest first; one that cannot be opened is skipped (and kept). */
  peekRecords(limit: number, after = 0): QueuedRecord[] {
    const rows = this.db
      .prepare('SELECT seq, id, kind, body, enqueued_at FROM records WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(after, limit) as { seq: number; id: string; kind: string; body: Buffer; enqueued_at: number }[];
    const out: QueuedRecord[] = [];
    for (const r of rows) {
      try {
        const body = this.openJson<unknown>(r.body, `records:${r.id}`);
        out.push({ seq: r.seq, id: r.id, kind: r.kind, enqueuedAt: r.enqueued_at, body });
      } catch {
        // Same policy as the outbox: a row this key cannot open is kept for investigation.
      }
    }
    return out;
  }

  ackRecords(seqs: readonly number[]): number {
    const del = this.db.prepare('DELETE FROM records WHERE seq = ?');
    return this.db.transaction(() => seqs.reduce((n, seq) => n + del.run(seq).changes, 0))();
  }

  recordDepth(): number {
    return this.db.prepare('SELECT count(*) FROM records').pluck().get() as number;
  }

  /** Hits captured at or after `since`, newest first, decrypted; unreadable rows are skipped. */
  recentHits(since: number, limit: number): Hit[] {
    const rows = this.db
      .prepare('SELECT id, body FROM hits WHERE captured_at >= ? ORDER BY captured_at DESC LIMIT ?')
      .all(since, limit) as { id: string; body: Buffer }[];
    const out: Hit[] = [];
    for (const r of rows) {
      try {
        out.push(this.openJson<Hit>(r.body, `hits:${r.id}:body`));
      } catch {
        // A row this key cannot open is reported by the outbox; the page just does not show it.
      }
    }
    return out;
  }

  /** A stored image of a read, decrypted; null when it was not kept (or is already purged). */
  image(readId: string, kind: string): Buffer | null {
    const b = this.db
      .prepare('SELECT body FROM images WHERE read_id = ? AND kind = ?')
      .pluck()
      .get(readId, kind) as Buffer | undefined;
    return b ? this.sealer.open(b, `images:${readId}:${kind}`) : null;
  }
}
