/**
 * Reads of the store for the officer's page (decrypting search, hit history, images) and the
 * record queue beside the outbox. Same file and sealer as StoreDb; kept apart to keep files small.
 */
import type Database from 'better-sqlite3';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
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
   * are skipped. Rows are fetched and opened `chunk` at a time (keyset pages on captured_at, rowid),
   * yielding to the event loop between chunks: a 50k-read scan never holds the thread for more
   * than one chunk's decryption (a few ms). Rows written meanwhile do not shift the pages.
   */
  async searchReads(q: ReadQuery, scanLimit = 50_000, chunk = 256): Promise<Read[]> {
    const from = q.from ?? 0;
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    const plate = q.plate ? normalizePlate(q.plate) : '';
    const exact = plate !== '' && !q.partial;
    const budget = exact && !q.near ? q.limit : scanLimit;
    const tagSql = exact ? 'plate_tag = ? AND ' : '';
    const tag = exact ? [this.sealer.plateTag(plate)] : [];
    const first = this.db.prepare(
      `SELECT rowid AS rid, id, captured_at, body FROM reads WHERE ${tagSql}captured_at BETWEEN ? AND ? ORDER BY captured_at DESC, rowid DESC LIMIT ?`,
    );
    const next = this.db.prepare(
      `SELECT rowid AS rid, id, captured_at, body FROM reads WHERE ${tagSql}captured_at BETWEEN ? AND ? AND (captured_at < ? OR rowid < ?) ORDER BY captured_at DESC, rowid DESC LIMIT ?`,
    );
    const out: Read[] = [];
    let scanned = 0;
    let last: { rid: number; captured_at: number } | null = null;
    while (scanned < budget && out.length < q.limit) {
      if (last) await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.db.open) throw new AlprError(ErrorCodes.STORE, 'store closed during a search');
      const n = Math.min(chunk, budget - scanned);
      const rows = (
        last
          ? next.all(...tag, from, last.captured_at, last.captured_at, last.rid, n)
          : first.all(...tag, from, to, n)
      ) as { rid: number; id: string; captured_at: number; body: Buffer }[];
      for (const row of rows) {
        const read = this.match(row, q, plate, exact);
        if (read) out.push(read);
        if (out.length >= q.limit) break;
      }
      scanned += rows.length;
      if (rows.length < n) break;
      last = rows.at(-1)!;
    }
    return out;
  }

  /** One stored read opened and checked against the query, or null (no match, or unreadable). */
  private match(row: { id: string; body: Buffer }, q: ReadQuery, plate: string, exact: boolean): Read | null {
    let read: Read;
    try {
      read = this.openJson<Read>(row.body, `reads:${row.id}:body`);
    } catch {
      return null;
    }
    if (
      !exact &&
      plate !== '' &&
      !read.candidates.some((c) => c.text.includes(plate)) &&
      !read.plate.includes(plate)
    )
      return null;
    const p = read.position;
    if (q.near && (p.lat === null || distanceM(p, q.near) > q.near.radiusM)) return null;
    return read;
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
