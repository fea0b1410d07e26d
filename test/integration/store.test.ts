import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { storeSection } from '../../src/config/sections/store.ts';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { readStoreStatus } from '../../src/store/file.ts';
import { StoreStage } from '../../src/store/index.ts';
import { DAY_MS } from '../../src/store/retention.ts';
import { RESEND_PRIORITY } from '../../src/domain/ports.ts';
import { captureLog, makeHit, makeRead, storeConfig, tempDirs } from '../helpers/sync-fixtures.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function openStore(
  over: Record<string, unknown> = {},
  opts: { now?: () => number; dirs?: ReturnType<typeof tempDirs> } = {},
) {
  const dirs = opts.dirs ?? tempDirs();
  const cap = captureLog();
  const bus = new Bus();
  const store = new StoreStage({
    bus,
    log: cap.log,
    config: storeConfig(over),
    dataDir: dirs.data,
    credentialsDir: dirs.creds,
    ...(opts.now ? { now: opts.now } : {}),
  });
  await store.start();
  cleanup.push(async () => {
    await store.stop();
    if (!opts.dirs) rmSync(dirs.root, { recursive: true, force: true });
  });
  return { store, bus, cap, dirs };
}

function rawBytes(dataDir: string): Buffer {
  const f = join(dataDir, 'reads.sqlite');
  return Buffer.concat([f, `${f}-wal`].filter(existsSync).map((p) => readFileSync(p)));
}

describe('store: encryption at rest', () => {
  it('never writes plate text or positions in clear to the SQLite file or its WAL', async () => {
    const { store, bus, dirs } = await openStore();
    const reads = Array.from({ length: 200 }, (_, i) => makeRead(i));
    for (const r of reads) bus.emit('read', r);
    bus.emit('hit', makeHit(reads[3]!));
    store.putImage(reads[0]!.id, 'plate', Buffer.from(`JPEG-${reads[0]!.plate}`));
    const bytes = rawBytes(dirs.data);
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(bytes.includes('ZQX0')).toBe(false);
    expect(bytes.includes('47.6097')).toBe(false);
    expect(bytes.includes('-122.33')).toBe(false);
    // …and the store still gives everything back through the outbox, hits first.
    const out = store.outbox().peek(300);
    expect(out).toHaveLength(201);
    expect(out[0]!.kind).toBe('hit');
    const first = out[1]!;
    expect(first.kind === 'read' && first.read).toEqual(reads[0]);
  });

  it('the same check fails on a plaintext store (so it can fail), which warns loudly', async () => {
    const { bus, dirs, cap } = await openStore({ encryption: 'none' });
    bus.emit('read', makeRead(42));
    expect(rawBytes(dirs.data).includes('ZQX0042')).toBe(true);
    expect(cap.lines().some((l) => l['level'] === 'warn' && /ENCRYPTION IS OFF/.test(String(l['msg'])))).toBe(
      true,
    );
  });

  it('refuses to start without the key file, and refuses data sealed with another key', async () => {
    const dirs = tempDirs();
    cleanup.push(() => rmSync(dirs.root, { recursive: true, force: true }));
    rmSync(join(dirs.creds, 'store.key'));
    const bus = new Bus();
    const cap = captureLog();
    const s = new StoreStage({
      bus,
      log: cap.log,
      config: storeConfig(),
      dataDir: dirs.data,
      credentialsDir: dirs.creds,
    });
    await expect(s.start()).rejects.toMatchObject({ code: 'ALPR_E_SECRET_MISSING' });
    writeFileSync(join(dirs.creds, 'store.key'), randomBytes(32).toString('hex'));
    await s.start();
    s.putRead(makeRead(1));
    await s.stop();
    writeFileSync(join(dirs.creds, 'store.key'), randomBytes(32).toString('base64'));
    await s.start();
    const lights: string[] = [];
    bus.on('health', (h) => lights.push(`${h.component}:${h.light}`));
    // The unreadable row is parked (kept, not sent, reported), and does not block the queue.
    expect(s.outbox().peek(10)).toEqual([]);
    expect(s.outbox().depth()).toBe(1);
    expect(cap.text()).toContain('outbox row unreadable; parked, not sent');
    expect(cap.text()).toContain('fails authentication');
    expect(lights).toContain('storage:amber');
    s.putRead(makeRead(2));
    expect(
      s
        .outbox()
        .peek(10)
        .map((m) => m.kind),
    ).toEqual(['read']);
    await s.stop();
  });
});

describe('store: outbox', () => {
  it('orders hits before reads, acks by seq, keeps depth and the last ack time across restarts', async () => {
    const dirs = tempDirs();
    cleanup.push(() => rmSync(dirs.root, { recursive: true, force: true }));
    let t = 1_700_000_000_000;
    const { store } = await openStore({}, { dirs, now: () => t });
    const reads = Array.from({ length: 5 }, (_, i) => makeRead(i, t));
    for (const r of reads) store.putRead(r);
    expect(store.putRead(reads[0]!)).toBe(false);
    store.putHit(makeHit(reads[4]!));
    const port = store.outbox();
    const all = port.peek(10);
    expect(all.map((m) => m.kind)).toEqual(['hit', 'read', 'read', 'read', 'read', 'read']);
    const page = port.peek(2, { priority: all[1]!.priority, seq: all[1]!.seq });
    expect(page.map((m) => m.id)).toEqual([reads[1]!.id, reads[2]!.id]);
    expect(port.lastAckedAt()).toBeNull();
    t += 1000;
    port.ack([all[0]!.seq, all[1]!.seq, 999_999]);
    expect(port.depth()).toBe(4);
    expect(port.lastAckedAt()).toBe(t);
    await store.stop();
    const st = readStoreStatus(join(dirs.data, 'reads.sqlite'));
    expect(st).toMatchObject({
      depth: 4,
      byKind: { read: 4 },
      lastAckedAt: t,
      reads: 5,
      unsyncedReads: 4,
      parked: 0,
    });
    await store.start();
    expect(store.outbox().depth()).toBe(4);
  });
});

describe('store: a read and its hits in one transaction', () => {
  /** Announces a read on the bus, where a stand-in for the hot list raises `n` hits for it. */
  function withHotlist(bus: Bus, n: number) {
    bus.on('read', (r) => {
      for (let k = 0; k < n; k++) bus.emit('hit', makeHit(r));
    });
  }
  const rowCount = (dirs: ReturnType<typeof tempDirs>, table: string) => {
    const db = new Database(join(dirs.data, 'reads.sqlite'), { readonly: true });
    const n = db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    db.close();
    return n;
  };
  /** A failure inside the store's transaction: SQLite refuses every hit row. */
  const failHits = (dirs: ReturnType<typeof tempDirs>, on: boolean) => {
    const db = new Database(join(dirs.data, 'reads.sqlite'));
    db.exec(
      on
        ? "CREATE TRIGGER fail_hits BEFORE INSERT ON hits BEGIN SELECT RAISE(ABORT, 'injected'); END"
        : 'DROP TRIGGER fail_hits',
    );
    db.close();
  };

  it('stores the read with every hit raised while it is announced, hits first in the outbox', async () => {
    const { store, bus } = await openStore();
    withHotlist(bus, 2);
    const seen: string[] = [];
    bus.on('hit', (h) => seen.push(h.readId));
    const read = makeRead(1);
    expect(store.putReadWithHits(read, () => bus.emit('read', read))).toEqual({ read: true, hits: 2 });
    expect(seen).toEqual([read.id, read.id]);
    const out = store.outbox().peek(10);
    expect(out.map((m) => m.kind)).toEqual(['hit', 'hit', 'read']);
    expect(store.outbox().depth()).toBe(3);
    // Announced again (same id): nothing new; the hits' ids are new but the read is known.
    expect(store.putReadWithHits(read, () => {})).toEqual({ read: false, hits: 0 });
    expect(store.hasRead(read.id)).toBe(true);
  });

  it('a failure inside the transaction leaves neither the read nor its hits, nor queue rows', async () => {
    const { store, bus, dirs } = await openStore();
    const health: HealthReport[] = [];
    bus.on('health', (h) => health.push(h));
    withHotlist(bus, 1);
    failHits(dirs, true);
    const read = makeRead(2);
    expect(() => store.putReadWithHits(read, () => bus.emit('read', read))).toThrow(/injected/);
    expect(rowCount(dirs, 'reads')).toBe(0);
    expect(rowCount(dirs, 'outbox')).toBe(0);
    expect(store.outbox().depth()).toBe(0);
    expect(store.hasRead(read.id)).toBe(false);
    expect(health.at(-1)).toMatchObject({ component: 'storage', light: 'red' });
    // Separate transactions (the old way) do leave the read behind: the check above can fail.
    const other = makeRead(3);
    store.putRead(other);
    expect(() => store.putHit(makeHit(other))).toThrow(/injected/);
    expect(rowCount(dirs, 'reads')).toBe(1);
    failHits(dirs, false);
    expect(store.putReadWithHits(read, () => bus.emit('read', read))).toEqual({ read: true, hits: 1 });
    expect(store.outbox().depth()).toBe(3);
  });
});

describe('store: retention', () => {
  it('refuses a retention above 730 days in config', () => {
    expect(storeSection.safeParse({ retentionDays: 731 }).success).toBe(false);
    expect(storeSection.safeParse({ retentionDays: 730 }).success).toBe(true);
  });

  it('purges synced reads past retention, unsynced only past 730 days, never held ones; logs counts', async () => {
    const now = 1_800_000_000_000;
    const { store, cap } = await openStore({ retentionDays: 7 }, { now: () => now });
    const mk = (i: number, ageDays: number) => {
      const r = makeRead(i, now - ageDays * DAY_MS);
      store.putRead(r);
      return r;
    };
    const fresh = [mk(1, 1), mk(2, 2)];
    const oldSynced = [mk(3, 10), mk(4, 11), mk(5, 12)];
    const oldUnsynced = [mk(6, 10)];
    const oldSyncedUnsentHit = mk(7, 10);
    store.putHit(makeHit(oldSyncedUnsentHit));
    const ancient = [mk(8, 800), mk(9, 900)];
    store.putHit(makeHit(ancient[0]!)); // unsent, but past the hard maximum: goes with its read
    const ancientHeld = mk(10, 800);
    const port = store.outbox();
    const syncedIds = new Set([...fresh, ...oldSynced, oldSyncedUnsentHit].map((r) => r.id));
    port.ack(
      port
        .peek(100)
        .filter((m) => m.kind === 'read' && syncedIds.has(m.id))
        .map((m) => m.seq),
    );
    expect(store.holds().setHold([ancientHeld.id], 'CASE-1', true)).toBe(1);
    const r = store.purgeNow();
    expect(r.retention.count).toBe(3);
    expect(r.retention.from).toBe(now - 12 * DAY_MS);
    expect(r.retention.to).toBe(now - 10 * DAY_MS);
    expect(r['hard-max'].count).toBe(2);
    expect(r['hard-max'].hits).toBe(1);
    // Queue entries of purged records go with them (the counter too, before any peek).
    expect(port.depth()).toBe(3);
    const left = new Set(port.peek(100).map((m) => m.id));
    expect(left.has(oldUnsynced[0]!.id)).toBe(true);
    expect(left.has(ancient[0]!.id)).toBe(false);
    expect(left.has(ancientHeld.id)).toBe(true);
    // Left queued: the unsent hit, the unsynced 10-day read, the held 800-day read. The synced read
    // whose hit is unsent stays stored (not counted above: 3, not 4).
    expect(port.depth()).toBe(3);
    const purgeLogs = cap.lines().filter((l) => l['msg'] === 'purged reads');
    expect(purgeLogs.map((l) => [l['reason'], l['count']])).toEqual([
      ['retention', 3],
      ['hard-max', 2],
    ]);
    expect(purgeLogs[0]).toMatchObject({ from: new Date(now - 12 * DAY_MS).toISOString(), hits: 0 });
    expect(purgeLogs[1]).toMatchObject({ reason: 'hard-max', hits: 1, images: 0 });
    // Released holds fall under the rules again.
    store.holds().setHold([ancientHeld.id], 'CASE-1', false);
    expect(store.purgeNow()['hard-max'].count).toBe(1);
  });

  it('keeps reads and hits stamped by a clock not yet set (2019) until synced, then ages them from the acknowledgement', async () => {
    let now = Date.UTC(2026, 11, 7);
    const { store } = await openStore({ retentionDays: 30 }, { now: () => now });
    const undated = makeRead(1, Date.UTC(2019, 5, 1));
    const ancient = makeRead(2, now - 800 * DAY_MS);
    store.putRead(undated);
    store.putRead(ancient);
    store.putHit(makeHit(undated));
    const r = store.purgeNow();
    // the 800-day read goes (its age is known); the one from an unset clock stays, with its hit
    expect(r['hard-max'].count).toBe(1);
    const port = store.outbox();
    expect(port.peek(10).map((m) => [m.kind, m.kind === 'hit' ? m.hit.readId : m.id])).toEqual([
      ['hit', undated.id],
      ['read', undated.id],
    ]);
    // once the server has them, they are as old as the acknowledgement: the retention rule takes
    // them that long after it, not at once
    port.ack(port.peek(10).map((m) => m.seq));
    expect(store.purgeNow().retention).toMatchObject({ count: 0, hits: 0 });
    now += 29 * DAY_MS;
    expect(store.purgeNow().retention).toMatchObject({ count: 0, hits: 0 });
    now += 2 * DAY_MS;
    expect(store.purgeNow().retention).toMatchObject({ count: 1, hits: 1 });
  });

  it('keeps unsynced records past the hard maximum while GPS time does not confirm the clock (a clock jumped years ahead)', async () => {
    const real = Date.UTC(2026, 11, 7);
    let now = real;
    let confirmed = true;
    const dirs = tempDirs();
    const cap = captureLog();
    const store = new StoreStage({
      bus: new Bus(),
      log: cap.log,
      config: storeConfig({}),
      dataDir: dirs.data,
      credentialsDir: dirs.creds,
      now: () => now,
      clockConfirmed: () => confirmed,
    });
    await store.start();
    const unsynced = [makeRead(1, real - DAY_MS), makeRead(2, real - 2 * DAY_MS)];
    const synced = makeRead(3, real - DAY_MS);
    for (const r of [...unsynced, synced]) store.putRead(r);
    store.putHit(makeHit(unsynced[0]!));
    const port = store.outbox();
    port.ack(
      port
        .peek(10)
        .filter((m) => m.kind === 'read' && m.id === synced.id)
        .map((m) => m.seq),
    );
    // the clock steps three years ahead; GPS time says otherwise
    now = real + 3 * 365 * DAY_MS;
    confirmed = false;
    const r = store.purgeNow();
    // the synced read goes by the retention rule (the server has it); the unsynced stay
    expect(r.retention).toMatchObject({ count: 1, hits: 0 });
    expect(r['hard-max']).toMatchObject({ count: 0, hits: 0 });
    expect(port.depth()).toBe(3);
    expect(cap.lines().filter((l) => String(l['msg']).startsWith('the clock is not confirmed'))).toHaveLength(
      1,
    );
    store.purgeNow();
    expect(cap.lines().filter((l) => String(l['msg']).startsWith('the clock is not confirmed'))).toHaveLength(
      1,
    );
    // once GPS time agrees with the clock, its ages hold again
    confirmed = true;
    expect(store.purgeNow()['hard-max']).toMatchObject({ count: 2, hits: 1 });
    expect(port.depth()).toBe(0);
    await store.stop();
  });

  it('disk watermark: frees synced images, then synced reads, never unsynced hits; raises the storage light', async () => {
    const { store, bus } = await openStore({ minFreeMb: 100, outboxImages: true });
    const lights: HealthReport[] = [];
    bus.on('health', (h) => lights.push(h));
    const synced = Array.from({ length: 20 }, (_, i) => makeRead(i, Date.now() - (100 - i) * 60_000));
    const unsynced = Array.from({ length: 5 }, (_, i) => makeRead(100 + i));
    for (const r of [...synced, ...unsynced]) store.putRead(r);
    for (const r of synced) store.putImage(r.id, 'overview', randomBytes(2000));
    store.putHit(makeHit(unsynced[0]!));
    const port = store.outbox();
    const ids = new Set(synced.map((r) => r.id));
    port.ack(
      port
        .peek(500)
        .filter((m) => m.kind !== 'hit' && ids.has(m.kind === 'image' ? m.readId : m.id))
        .map((m) => m.seq),
    );
    expect(port.depth()).toBe(6);
    let free = 10 * 1024 * 1024; // below half the mark: critical
    expect(store.checkDisk(() => free)).toBe('red');
    // It purged everything it was allowed to: all synced data, none of the unsynced.
    expect(port.depth()).toBe(6);
    expect(port.peek(10).map((m) => m.kind)).toEqual(['hit', 'read', 'read', 'read', 'read', 'read']);
    expect(lights.at(-1)).toMatchObject({ component: 'storage', light: 'red' });
    free = 200 * 1024 * 1024;
    expect(store.checkDisk(() => free)).toBe('green');
    expect(lights.at(-1)).toMatchObject({ component: 'storage', light: 'green' });
  });
});

describe('store: reconciliation (tally and sending a window again)', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
  const q = (now: number, ackedBefore = now + 1) => ({
    since: now - DAY,
    until: now,
    ackedSince: now - DAY,
    ackedBefore,
    maxHours: 72,
  });

  it("tallies synced reads and hits per hour of capture: the last day's hours and a backlog's", async () => {
    let now = t0 + 6 * HOUR;
    const { store, bus } = await openStore({}, { now: () => now });
    const reads = [0, 1, 2, 3, 4].map((i) => makeRead(i, t0 + (i < 3 ? 10 * 60_000 : HOUR + 60_000 * i)));
    // captured three days ago, delivered only now (a unit back from a long time offline)
    const old = makeRead(7, t0 - 3 * DAY);
    for (const r of [...reads, old]) bus.emit('read', r);
    bus.emit('hit', makeHit(reads[0]!));
    const out = store.outbox();
    const all = out.peek(10);
    // acknowledge the hit, the old read, three reads of the first hour and one of the second
    out.ack(
      all.filter((m) => m.kind === 'hit' || (m.kind === 'read' && m.id !== reads[4]!.id)).map((m) => m.seq),
    );
    const rc = store.reconcile();
    expect(rc.tally(q(now))).toEqual([
      { from: t0 - 3 * DAY, reads: 1, hits: 0 },
      { from: t0, reads: 3, hits: 1 },
      { from: t0 + HOUR, reads: 1, hits: 0 },
    ]);
    // not yet a minute since the acknowledgement: counted in a later tally
    expect(rc.tally(q(now, now))).toEqual([]);
    // at most maxHours, the newest kept
    expect(rc.tally({ ...q(now), maxHours: 2 })).toEqual([
      { from: t0, reads: 3, hits: 1 },
      { from: t0 + HOUR, reads: 1, hits: 0 },
    ]);
    // a day later the old hour has left the tally: it was delivered more than a day ago
    now += DAY + 1;
    expect(rc.tally(q(now))).toEqual([]);
  });

  it('queues a window again after everything new, once, and leaves it synced', async () => {
    const now = t0 + 6 * HOUR;
    const { store, bus } = await openStore({}, { now: () => now });
    const reads = [0, 1, 2].map((i) => makeRead(i, t0 + i * 60_000));
    const late = makeRead(9, t0 + 2 * HOUR);
    for (const r of [...reads, late]) bus.emit('read', r);
    bus.emit('hit', makeHit(reads[1]!));
    const out = store.outbox();
    out.ack(out.peek(10).map((m) => m.seq));
    expect(out.depth()).toBe(0);
    const rc = store.reconcile();
    const enqueued: number[] = [];
    out.onEnqueue((p) => enqueued.push(p));
    expect(rc.requeue(t0, t0 + HOUR, 50_000)).toEqual({ reads: 3, hits: 1 });
    expect(enqueued).toEqual([RESEND_PRIORITY]);
    // a new read goes before the window sent again
    const fresh = makeRead(20, t0 + 5 * HOUR);
    bus.emit('read', fresh);
    const again = out.peek(10);
    expect(again.map((m) => m.id)[0]).toBe(fresh.id);
    expect(
      again
        .slice(1)
        .map((m) => m.kind)
        .sort(),
    ).toEqual(['hit', 'read', 'read', 'read']);
    expect(new Set(again.filter((m) => m.kind === 'read').map((m) => m.id))).toEqual(
      new Set([fresh, ...reads].map((r) => r.id)),
    );
    // queued already: a second command queues nothing more; still synced, still in the tally
    expect(rc.requeue(t0, t0 + HOUR, 50_000)).toEqual({ reads: 0, hits: 0 });
    expect(rc.tally(q(now))).toContainEqual({ from: t0, reads: 3, hits: 1 });
    // the limit bounds one command
    out.ack(again.map((m) => m.seq));
    expect(rc.requeue(t0, t0 + HOUR, 2)).toEqual({ reads: 2, hits: 1 });
  });

  it('lets retention purge a read queued again; its queue entry is then dropped', async () => {
    let now = t0 + 6 * HOUR;
    const { store, bus } = await openStore({ retentionDays: 1 }, { now: () => now });
    const r = makeRead(0, t0);
    bus.emit('read', r);
    const out = store.outbox();
    out.ack(out.peek(10).map((m) => m.seq));
    expect(store.reconcile().requeue(t0, t0 + HOUR, 10)).toEqual({ reads: 1, hits: 0 });
    now += 2 * DAY;
    store.purgeNow();
    expect(out.peek(10)).toEqual([]);
    expect(out.depth()).toBe(0);
  });
});

describe('store: a data folder it cannot write', () => {
  /** A 4 MB tmpfs to remount read-only (root with mount rights only). */
  const canMount = (() => {
    if (process.getuid?.() !== 0) return false;
    const d = tempDirs();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', d.data], { stdio: 'ignore' });
      execFileSync('umount', [d.data], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(d.root, { recursive: true, force: true });
    }
  })();
  if (!canMount) console.warn('store: read-only folder test skipped: needs root and mount (tmpfs)');

  it.skipIf(!canMount)('says which folder and why: a read-only file system', async () => {
    const dirs = tempDirs();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dirs.data]);
    cleanup.push(() => {
      execFileSync('umount', [dirs.data]);
      rmSync(dirs.root, { recursive: true, force: true });
    });
    const first = await openStore({}, { dirs });
    await first.store.stop();
    execFileSync('mount', ['-o', 'remount,ro', dirs.data]);
    const cap = captureLog();
    const store = new StoreStage({
      bus: new Bus(),
      log: cap.log,
      config: storeConfig(),
      dataDir: dirs.data,
      credentialsDir: dirs.creds,
    });
    await expect(store.start()).rejects.toThrow(
      `the folder ${dirs.data} is not writable: a read-only file system`,
    );
  });
});

describe('store: free space that changes without writes', () => {
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

  it.skipIf(!canMount)(
    'the storage light follows a card filled and freed while nothing is written',
    async () => {
      const dirs = tempDirs();
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dirs.data]);
      } catch {
        console.warn('store: free-space test skipped: cannot mount a tmpfs here');
        return;
      }
      cleanup.push(() => {
        execFileSync('umount', [dirs.data]);
        rmSync(dirs.root, { recursive: true, force: true });
      });
      const bus = new Bus();
      const lights: string[] = [];
      bus.on('health', (h) => {
        if (h.component === 'storage') lights.push(h.light);
      });
      const cap = captureLog();
      const store = new StoreStage({
        bus,
        log: cap.log,
        config: storeConfig({ minFreeMb: 6, reserveMb: 0 }),
        dataDir: dirs.data,
        credentialsDir: dirs.creds,
        diskCheckMs: 200,
      });
      await store.start();
      cleanup.push(() => store.stop());
      const waitLight = async (want: string) => {
        const end = Date.now() + 5000;
        while (lights.at(-1) !== want) {
          if (Date.now() > end) throw new Error(`storage light ${lights.at(-1)}, wanted ${want}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await waitLight('green');
      // another program fills the card: nothing is written by the store meanwhile
      const filler = join(dirs.data, 'filler');
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=13'], { stdio: 'ignore' });
      await waitLight('red');
      rmSync(filler);
      await waitLight('green');
    },
  );
});
