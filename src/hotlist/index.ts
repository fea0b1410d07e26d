/**
 * The hot-list stage: matches every read against the local lists and raises hits; re-checks
 * recent reads when a list changes (late hits); reports list freshness to health.
 */
import { statfsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { uuidv7 } from '../domain/ids.ts';
import type { Sealer } from '../domain/seal.ts';
import { evidenceOf } from '../domain/read.ts';
import type { CtcEvidence, Hit, HitMatch, Read } from '../domain/types.ts';
import { type CsvError, csvEntries, fileLines } from './csv.ts';
import type { DeltaChange } from './delta.ts';
import { type CtcScorer, judgeMatches, LEVEL_RULE, STATE_GATE } from './evidence.ts';
import { shapeDensity } from './shape.ts';
import { hotlistHealth } from './health.ts';
import { type HotlistEntry, matchRead } from './match.ts';
import { OFFICER_LIST, type OfficerPlateInput, officerPlateEntry } from './officer.ts';
import { type ApplyMeta, HotlistStore, type ListInfo } from './store.ts';
import { courseForDirection, observedDirection } from '../domain/geo.ts';

export type { HotlistEntry } from './match.ts';
export type { ApplyMeta, ListInfo } from './store.ts';

export interface HotlistStageOptions {
  bus: Bus;
  log: Logger;
  config: Config['hotlist'];
  dbPath: string;
  /** Seals the rows at rest: the store key's `hotlist` sub-keys (the root builds it). */
  sealer: Sealer;
  /** Clock, for tests. */
  now?: () => number;
  /** How often the stage looks for list changes made by other processes (the CLI), ms. */
  pollMs?: number;
  /** Called for each officer hot plate entered through this stage, so the root can send it upstream. */
  onOfficerPlate?: (entry: HotlistEntry) => void;
  /** A text's CTC log-probability on one crop (the recognizer's forward algorithm), to judge hits by evidence. */
  scoreText?: CtcScorer;
  /**
   * Free space a new version must leave on the list's disk (the store's watermark and reserve,
   * bytes): a list too big for the card is refused before a row is written, not once the card is
   * full and the store has begun purging the images of unsent reads.
   */
  keepFreeBytes?: number;
}

/**
 * Disk a new version takes while it applies, per entry (an estimate, on the high side): its rows,
 * sealed fields and plate index, once in the staging table and once in the list's own, beside the
 * live version (about 185 bytes an entry on disk for a 300,000-entry state list, twice over).
 */
export const APPLY_BYTES_PER_ENTRY = 400;

const hitKey = (m: HitMatch) =>
  `${m.list}\u0000${m.entryPlate}\u0000${m.state ?? ''}\u0000${m.caseNumber ?? ''}`;

export class HotlistStage implements Stage {
  readonly name = 'hotlist';
  readonly critical = true;
  private store: HotlistStore | null = null;
  private recent: { read: Read; at: number; keys: Set<string> }[] = [];
  private unsub: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastHealth = '';
  /**
   * Why each seed file given at start was not loaded, by list: on the light until that list gets a
   * version another way (signed sync, import) or the unit restarts.
   */
  private readonly seedRefused = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly opts: HotlistStageOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.store = new HotlistStore(this.opts.dbPath, { sealer: this.opts.sealer });
    if (this.store.sealedAtOpen > 0)
      this.opts.log.info({ tables: this.store.sealedAtOpen }, 'hot lists stored in clear were sealed');
    const purged = this.store.purgeExpired(this.now());
    if (purged > 0) this.opts.log.info({ purged }, 'expired hot-list entries purged');
    for (const seed of this.opts.config.seedCsv) {
      try {
        await this.loadSeed(seed.list, seed.path);
      } catch (err) {
        // A demo seed that cannot be read must not stop the unit: the live lists stay, health says so.
        const why = (err as Error).message;
        this.opts.log.error({ list: seed.list, path: seed.path, err: why }, 'seed list not loaded');
        this.seedRefused.set(seed.list, `seed ${seed.list} not loaded: ${why}`);
      }
    }
    this.unsub = this.opts.bus.on('read', (r) => this.onRead(r));
    this.timer = setInterval(() => this.tick(), this.opts.pollMs ?? 15_000);
    this.timer.unref();
    this.emitHealth(true);
    this.opts.log.info(
      { lists: this.store.lists().map((l) => [l.name, l.version, l.entries]) },
      'hot lists open',
    );
  }

  async stop(): Promise<void> {
    this.unsub?.();
    this.unsub = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.store?.close();
    this.store = null;
  }

  lists(): readonly ListInfo[] {
    return this.store?.lists() ?? [];
  }

  /** The live version of a list, 0 when none (for the sync client's version-order check). */
  listVersion(list: string): number {
    return this.store?.list(list)?.version ?? 0;
  }

  /** Applies a new version of a list (signed sync, CLI import), then re-checks recent reads. */
  async applyVersion(
    meta: ApplyMeta,
    entries: Iterable<HotlistEntry> | AsyncIterable<HotlistEntry>,
    onProgress?: (rows: number) => void,
  ): Promise<number> {
    this.checkRoom(meta);
    const n = await this.requireStore().applyVersion(meta, entries, { now: this.now(), onProgress });
    this.opts.log.info({ list: meta.list, version: meta.version, entries: n }, 'hot-list version applied');
    this.seedRefused.delete(meta.list);
    this.changed();
    return n;
  }

  /** Refuses a version whose entries would not fit beside what the disk must keep free. */
  private checkRoom(meta: ApplyMeta): void {
    const n = meta.expectedEntries ?? 0;
    if (n <= 0) return;
    const s = statfsSync(dirname(this.opts.dbPath));
    const free = s.bavail * s.bsize;
    const need = n * APPLY_BYTES_PER_ENTRY;
    const keep = this.opts.keepFreeBytes ?? 0;
    if (free - need >= keep) return;
    const mb = (b: number) => Math.ceil(b / 2 ** 20);
    throw new AlprError(
      ErrorCodes.HOTLIST,
      `not enough free disk for ${meta.list} v${meta.version} (${n} entries): about ${mb(need)} MB needed besides the ${mb(keep)} MB kept free, ${mb(free)} MB free; the live list is kept`,
    );
  }

  /**
   * Applies a delta on top of its base version (atomically; refused unless the base is live),
   * then re-checks recent reads like a full version.
   */
  applyDelta(meta: ApplyMeta & { baseVersion: number }, changes: DeltaChange[]): number {
    const n = this.requireStore().applyDelta(meta, changes, this.now());
    this.opts.log.info(
      { list: meta.list, version: meta.version, base: meta.baseVersion, changes: changes.length, entries: n },
      'hot-list delta applied',
    );
    this.seedRefused.delete(meta.list);
    this.changed();
    return n;
  }

  /** Adds an officer hot plate (list LOCAL); throws AlprError listing every problem. */
  addOfficerPlate(input: OfficerPlateInput): HotlistEntry {
    const entry = officerPlateEntry(input, this.now(), this.officerPlates());
    this.requireStore().addEntry(entry, this.now());
    this.opts.log.info({ list: entry.list }, 'officer hot plate added');
    this.changed();
    this.opts.onOfficerPlate?.(entry);
    return entry;
  }

  /**
   * Cancels one officer hot plate (list LOCAL), named by its plate and creation time, as a delta
   * on the live version; returns the removed entry, or null when no live entry has both.
   */
  cancelOfficerPlate(plate: string, created: number): HotlistEntry | null {
    const entry = this.officerPlates().find((e) => e.plate === plate && e.created === created);
    const cur = this.store?.list(OFFICER_LIST);
    if (!entry || !cur) return null;
    const now = this.now();
    this.requireStore().applyDelta(
      {
        list: OFFICER_LIST,
        version: Math.max(now, cur.version + 1),
        issuedAt: now,
        source: cur.source,
        baseVersion: cur.version,
      },
      [{ op: '-', entry }],
      now,
    );
    this.opts.log.info({ list: OFFICER_LIST }, 'officer hot plate cancelled');
    this.changed();
    return entry;
  }

  /**
   * The live officer hot plates (list LOCAL), including those entered with the CLI: the root can
   * send them upstream when the server link comes up, so the central server knows them all.
   */
  officerPlates(): HotlistEntry[] {
    return this.store?.entriesOf(OFFICER_LIST, this.now()) ?? [];
  }

  /**
   * Matches one read: entries are found by look-alikes, candidates and wildcards, then judged by
   * the read's evidence (judgeMatches); only confirmed and possible ones are returned. Exposed
   * for the web page's manual look-up (no evidence there: the candidates' confidences stand in).
   */
  match(
    read: Pick<Read, 'plate' | 'candidates' | 'state'>,
    frames: readonly (readonly CtcEvidence[])[] = [],
  ): HitMatch[] {
    const store = this.store;
    if (!store) return [];
    const gate = read.state && read.state.confidence >= STATE_GATE ? read.state.code : null;
    const found = matchRead({ plate: read.plate, candidates: read.candidates, state: gate }, store, {
      maxSubs: this.opts.config.lookalikeMaxSubs,
      candidates: this.opts.config.candidates,
      now: this.now(),
    });
    // a look-up by plate alone (the officer typed it) is that text for sure
    const candidates = read.candidates.length > 0 ? read.candidates : [{ text: read.plate, confidence: 1 }];
    if (found.length === 0) return [];
    const shapes = store.shapeCounts();
    return judgeMatches(found, { frames, candidates }, this.opts.scoreText, LEVEL_RULE, undefined, (t) =>
      shapeDensity(shapes, t),
    );
  }

  private requireStore(): HotlistStore {
    if (!this.store) throw new Error('hotlist stage is not started');
    return this.store;
  }

  private async loadSeed(list: string, path: string): Promise<void> {
    const store = this.requireStore();
    const st = await stat(path);
    const source = `seed:${path}:${Math.round(st.mtimeMs)}:${st.size}`;
    const cur = store.list(list);
    if (cur?.source === source) return;
    const now = this.now();
    const errors: CsvError[] = [];
    const n = await store.applyVersion(
      {
        list,
        version: Math.max(now, (cur?.version ?? 0) + 1),
        issuedAt: now,
        source,
        expectedEntries: st.size / 16,
      },
      atLeastOne(
        csvEntries(fileLines(path), { list, now, source: 'seed' }, (e) => errors.push(e)),
        () =>
          errors.length === 0
            ? `${path} holds no rows`
            : `none of the ${errors.length} rows of ${path} is valid (line ${errors[0]!.line}: ${errors[0]!.message.split(':')[0]})`,
      ),
      { now },
    );
    if (errors.length > 0) {
      // Messages may quote plate text: line numbers only above debug.
      this.opts.log.warn(
        { list, bad: errors.length, lines: errors.slice(0, 20).map((e) => e.line) },
        'bad seed rows',
      );
      // The column only, even at debug: a message may quote the row's plate.
      const details = errors.slice(0, 100).map((e) => ({ line: e.line, column: e.message.split(':')[0] }));
      this.opts.log.debug({ errors: details }, 'bad seed rows (details)');
    }
    this.opts.log.info({ list, entries: n }, 'seed hot list loaded');
  }

  private onRead(read: Read): void {
    const at = this.now();
    const keys = new Set<string>();
    for (const m of this.match(read, evidenceOf(read))) {
      keys.add(hitKey(m));
      this.emitHit(read, m, false);
    }
    this.recent.push({ read, at, keys });
    this.prune(at);
  }

  private emitHit(read: Read, match: HitMatch, late: boolean): void {
    const hit: Hit = {
      id: uuidv7(this.now()),
      readId: read.id,
      plate: read.plate,
      cameraId: read.cameraId,
      capturedAt: read.capturedAt,
      position: read.position,
      match,
      late,
      direction: observedDirection(courseForDirection(read.position), read.orientation),
      readState: read.state ?? null,
      ...(read.clockOffsetMs !== undefined ? { clockOffsetMs: read.clockOffsetMs } : {}),
    };
    this.opts.log.info(
      { readId: read.id, list: match.list, approximate: match.approximate, late },
      'hot-list hit',
    );
    this.opts.bus.emit('hit', hit);
  }

  private prune(now: number): void {
    const keepMs = this.opts.config.recheckMinutes * 60_000;
    let i = 0;
    while (i < this.recent.length && now - this.recent[i]!.at > keepMs) i++;
    const over = this.recent.length - i - this.opts.config.recheckMaxReads;
    if (over > 0) i += over;
    if (i > 0) this.recent.splice(0, i);
  }

  /** Reads kept for late hits now (status and tests). */
  get recentReads(): number {
    return this.recent.length;
  }

  /** A list changed: re-check recent reads and raise late hits for new matches. */
  private changed(): void {
    const now = this.now();
    this.prune(now);
    let late = 0;
    for (const r of this.recent) {
      for (const m of this.match(r.read, evidenceOf(r.read))) {
        const k = hitKey(m);
        if (r.keys.has(k)) continue;
        r.keys.add(k);
        this.emitHit(r.read, m, true);
        late++;
      }
    }
    if (late > 0)
      this.opts.log.info({ late, rechecked: this.recent.length }, 'late hits after a list change');
    this.emitHealth(true);
  }

  private tick(): void {
    const store = this.store;
    if (!store) return;
    try {
      const purged = store.purgeExpired(this.now());
      if (store.reloadIfChanged() || purged > 0) this.changed();
      else this.emitHealth(false);
    } catch (err) {
      this.opts.log.error({ err }, 'hot-list upkeep failed');
    }
  }

  private emitHealth(force: boolean): void {
    const h = hotlistHealth(this.lists(), this.now(), [...this.seedRefused.values()]);
    const sig = `${h.light}:${h.reason}`;
    if (!force && sig === this.lastHealth) return;
    this.lastHealth = sig;
    this.opts.bus.emit('health', h);
  }
}

/**
 * The entries, or a throw after the last when there were none (`why` says why): a seed file whose
 * every row is bad must not replace the list loaded before with an empty one.
 */
async function* atLeastOne<T>(entries: AsyncIterable<T>, why: () => string): AsyncGenerator<T> {
  let n = 0;
  for await (const e of entries) {
    n++;
    yield e;
  }
  if (n === 0) throw new AlprError(ErrorCodes.HOTLIST, why());
}
