import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../src/store/db.ts';
import { openDb } from '../../src/store/file.ts';
import { type HeldKind, Holding } from '../../src/store/holding.ts';
import { plainSealer } from '../../src/store/seal.ts';
import { makeHit, makeRead, tempDirs } from '../helpers/sync-fixtures.ts';

/** Adds `kinds` (one letter each: h = hit, r = read) of `bytes` each; returns the ids dropped. */
function fill(h: Holding<string>, kinds: string, bytes = 10): string[] {
  const dropped: string[] = [];
  [...kinds].forEach((k, i) => {
    const kind: HeldKind = k === 'h' ? 'hit' : 'read';
    for (const g of h.add({ kind, bytes, value: `${k}${i}` })) dropped.push(g.value);
  });
  return dropped;
}

describe('Holding (records the disk refused)', () => {
  it.each([
    ['within the count', 5, 1000, 'rhrhr', []],
    ['count: the oldest read goes first', 3, 1000, 'rhrh', ['r0']],
    ['count: reads go before any hit, however old the hit', 2, 1000, 'hhrr', ['r2', 'r3']],
    ['count: a hit only when no read is left', 2, 1000, 'hhh', ['h0']],
    ['bytes: the oldest read goes first', 100, 25, 'rrhh', ['r0', 'r1']],
    ['bytes: hits only when no read is left', 100, 25, 'hhh', ['h0']],
    ['nothing held with a zero bound', 0, 1000, 'rh', ['r0', 'h1']],
  ])('%s', (_name, maxRecords, maxBytes, kinds, dropped) => {
    const h = new Holding<string>({ maxRecords, maxBytes });
    expect(fill(h, kinds)).toEqual(dropped);
    expect(h.size).toBeLessThanOrEqual(maxRecords);
    expect(h.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('gives back hits before reads for a retry, and keeps an entry until it is done', () => {
    const h = new Holding<string>({ maxRecords: 10, maxBytes: 1000 });
    fill(h, 'rrhrh');
    const order: string[] = [];
    for (let e = h.next(); e; e = h.next()) {
      order.push(e.value);
      expect(h.next()).toBe(e);
      h.done(e);
    }
    expect(order).toEqual(['h2', 'h4', 'r0', 'r1', 'r3']);
    expect(h.size).toBe(0);
    expect(h.bytes).toBe(0);
  });
});

describe('StoreDb queue depth after a failed transaction', () => {
  const dirs = tempDirs('alpr-depth-');
  afterAll(() => rmSync(dirs.root, { recursive: true, force: true }));

  function queued(db: StoreDb): number {
    return db.db.prepare('SELECT count(*) FROM outbox').pluck().get() as number;
  }

  it('is recounted when a purge fails after dropping queue rows', () => {
    const db = new StoreDb(openDb(join(dirs.data, 'purge.sqlite')), plainSealer());
    for (let i = 0; i < 40; i++) {
      const r = makeRead(i, Date.now() - 3_600_000);
      db.putReadWithHits(r, i % 4 === 0 ? [makeHit(r)] : [], Date.now());
    }
    // The queue rows go first in a purge step; a refusal after them rolls the whole step back.
    db.db.exec("CREATE TRIGGER refuse BEFORE DELETE ON reads BEGIN SELECT RAISE(ABORT, 'refused'); END");
    expect(() => db.purge({ reason: 'hard-max', before: Date.now(), includeUnsynced: true })).toThrow(
      /refused/,
    );
    expect(queued(db)).toBe(50);
    expect(db.depth()).toBe(50);
    db.close();
  });

  it('is recounted when an acknowledgement fails to commit', () => {
    const db = new StoreDb(openDb(join(dirs.data, 'ack.sqlite')), plainSealer());
    for (let i = 0; i < 20; i++) db.putRead(makeRead(i), Date.now());
    // Refused at commit, as a full disk refuses it: a deferred foreign key is checked only then,
    // after every queue row is gone and the counter has moved.
    db.db.pragma('foreign_keys = ON');
    db.db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER refuse AFTER DELETE ON outbox BEGIN INSERT INTO child VALUES (42); END`);
    const seqs = db.peek(20).map((m) => m.seq);
    expect(() => db.ack(seqs, Date.now())).toThrow(/FOREIGN KEY/);
    expect(queued(db)).toBe(20);
    expect(db.depth()).toBe(20);
    db.db.exec('DROP TRIGGER refuse');
    expect(db.ack(seqs.slice(0, 5), Date.now())).toBe(5);
    expect(db.depth()).toBe(15);
    db.close();
  });
});
