/**
 * Records that could not be stored (disk full), kept in memory until a retry stores them. Pure:
 * no I/O, no clock. Bounded by count and bytes; when full, the oldest read goes first and a hit
 * only when no read is left to give up, so a hit is never dropped while a read is kept.
 */

/** `hit` for anything that carries a hit (a read stored with its hits counts as one). */
export type HeldKind = 'hit' | 'read';

export interface Held<T> {
  kind: HeldKind;
  /** Approximate memory held, for the byte bound. */
  bytes: number;
  value: T;
}

export interface HoldingLimits {
  maxRecords: number;
  maxBytes: number;
}

export class Holding<T> {
  private readonly hits: Held<T>[] = [];
  private readonly reads: Held<T>[] = [];
  private heldBytes = 0;

  constructor(private readonly limits: HoldingLimits) {}

  get size(): number {
    return this.hits.length + this.reads.length;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  count(kind: HeldKind): number {
    return kind === 'hit' ? this.hits.length : this.reads.length;
  }

  /** Holds `entry`; returns what had to be given up to stay within the limits (oldest first). */
  add(entry: Held<T>): Held<T>[] {
    (entry.kind === 'hit' ? this.hits : this.reads).push(entry);
    this.heldBytes += entry.bytes;
    const dropped: Held<T>[] = [];
    while (this.size > 0 && (this.size > this.limits.maxRecords || this.heldBytes > this.limits.maxBytes)) {
      const gone = this.reads.shift() ?? this.hits.shift();
      if (!gone) break;
      this.heldBytes -= gone.bytes;
      dropped.push(gone);
    }
    return dropped;
  }

  /** The next entry to retry: hits before reads, oldest first; it stays held until `done`. */
  next(): Held<T> | undefined {
    return this.hits[0] ?? this.reads[0];
  }

  /** Removes `entry` (stored at last). */
  done(entry: Held<T>): void {
    const list = entry.kind === 'hit' ? this.hits : this.reads;
    const i = list.indexOf(entry);
    if (i < 0) return;
    list.splice(i, 1);
    this.heldBytes -= entry.bytes;
  }
}
