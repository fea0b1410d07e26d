/**
 * Matching a read against hot-list entries: pure. The store supplies the entries that share the
 * read's look-alike fold key (one index probe) and the small set of wildcard entries.
 */
import { normalizePlate } from '../domain/plate.ts';
import type { HitMatch } from '../domain/types.ts';
import { US_JURISDICTIONS } from '../domain/us-plates.ts';
import { foldKey, lookalikeDiff, wildcardDiff } from './confusion.ts';

/** One hot-list entry as the store keeps it. `plate` is normalized; it may hold `*` (wildcard). */
export interface HotlistEntry {
  list: string;
  plate: string;
  raw: string;
  state: string | null;
  /** 1 = most urgent … 9 = least. */
  priority: number;
  caseNumber: string | null;
  xref: string | null;
  reason: string | null;
  officerName: string | null;
  officerPhone: string | null;
  synopsis: string | null;
  informational: boolean;
  shareable: boolean;
  source: string | null;
  /** Epoch ms. */
  created: number;
  /** Epoch ms; null = until the list is replaced. */
  expires: number | null;
}

/** An entry with the version of the list it came from. */
export interface StoredEntry extends HotlistEntry {
  listVersion: string;
}

export interface MatchInput {
  plate: string;
  candidates: readonly { text: string }[];
  /** The read's state when the recognizer knows it; entries with another state never match. */
  state?: string | null;
}

export interface MatchSource {
  /** Every live-or-expired entry whose fold key equals `folded` (all lists). */
  byFold(folded: string): readonly StoredEntry[];
  /**
   * Optional narrower look-up: the entries whose plate is within `maxSubs` look-alike
   * substitutions of `text` (the store finds those plates in memory and reads only their rows).
   * `seen` lives for one read: rows already read for a plate are not read again.
   */
  near?(text: string, maxSubs: number, seen: Map<string, readonly StoredEntry[]>): readonly StoredEntry[];
  /** Entries holding `*`. */
  wildcards(): readonly StoredEntry[];
}

export interface MatchOptions {
  maxSubs: number;
  /** How many OCR candidates to try, the top read included. */
  candidates: number;
  now: number;
}

/** Entry plate text: upper case, A-Z 0-9 and `*` only. */
export function normalizeEntryPlate(raw: string): string {
  return raw.toUpperCase().replace(/[^A-Z0-9*]/g, '');
}

export function isWildcard(plate: string): boolean {
  return plate.includes('*');
}

/** The texts to try, top read first, normalized, without repeats, at most `n`. */
export function candidateTexts(input: MatchInput, n: number): string[] {
  const out: string[] = [];
  for (const t of [input.plate, ...input.candidates.map((c) => c.text)]) {
    const norm = normalizePlate(t);
    if (norm.length > 0 && !out.includes(norm)) out.push(norm);
    if (out.length >= n) break;
  }
  return out;
}

/** The codes the recognizer can name a plate's state by: only an entry of one of these is gated. */
const NAMEABLE = new Set(US_JURISDICTIONS.map((j) => j.code));

/**
 * Expired entries never match; an entry of another state than the read's does not either, when
 * the recognizer could have named the entry's state. An entry of a jurisdiction it cannot name (a
 * Canadian province, a territory, a mistyped code) is never gated out: the recognizer would name
 * such a plate some other state, and a stolen car must not pass for it.
 */
function live(e: HotlistEntry, now: number, state: string | null | undefined): boolean {
  if (e.expires !== null && e.expires <= now) return false;
  return !(state && e.state && NAMEABLE.has(e.state) && state !== e.state);
}

function toMatch(e: StoredEntry, approximate: boolean, subs: number[], candidateIndex: number): HitMatch {
  return {
    list: e.list,
    listVersion: e.listVersion,
    entryPlate: e.plate,
    state: e.state,
    priority: e.priority,
    caseNumber: e.caseNumber ?? e.xref,
    reason: e.reason,
    informational: e.informational,
    shareable: e.shareable,
    approximate,
    substitutions: subs,
    candidateIndex,
  };
}

const entryKey = (e: HotlistEntry) =>
  `${e.list}\u0000${e.plate}\u0000${e.state ?? ''}\u0000${e.caseNumber ?? e.xref ?? ''}`;
const score = (m: HitMatch) => (m.approximate ? 1000 : 0) + m.substitutions.length * 100 + m.candidateIndex;

/**
 * Every entry the read matches, best match per entry, exact ones first, then by priority.
 * A match is `approximate` when it needed a look-alike substitution, a wildcard, or an OCR
 * candidate other than the top read; `substitutions` are positions in the matched candidate's
 * text (look-alike and wildcard positions).
 */
export function matchRead(input: MatchInput, src: MatchSource, opts: MatchOptions): HitMatch[] {
  const best = new Map<string, HitMatch>();
  const keep = (e: StoredEntry, m: HitMatch) => {
    const k = entryKey(e);
    const prev = best.get(k);
    if (!prev || score(m) < score(prev)) best.set(k, m);
  };
  const texts = candidateTexts(input, opts.candidates);
  const probed = new Map<string, readonly StoredEntry[]>();
  const seen = new Map<string, readonly StoredEntry[]>();
  const wild = src.wildcards();
  texts.forEach((text, i) => {
    // Candidates of one read often share a fold key (or a near plate): their rows are read once.
    let rows: readonly StoredEntry[] | undefined;
    if (src.near) rows = src.near(text, opts.maxSubs, seen);
    else {
      const fk = foldKey(text);
      rows = probed.get(fk);
      if (!rows) {
        rows = src.byFold(fk);
        probed.set(fk, rows);
      }
    }
    for (const e of rows) {
      if (!live(e, opts.now, input.state)) continue;
      const subs = lookalikeDiff(text, e.plate, opts.maxSubs);
      if (subs) keep(e, toMatch(e, subs.length > 0 || i > 0, subs, i));
    }
    for (const e of wild) {
      if (e.plate.length !== text.length || !live(e, opts.now, input.state)) continue;
      const d = wildcardDiff(text, e.plate, opts.maxSubs);
      if (d)
        keep(
          e,
          toMatch(
            e,
            true,
            [...d.subs, ...d.wild].sort((a, b) => a - b),
            i,
          ),
        );
    }
  });
  return [...best.values()].sort(
    (a, b) => Number(a.approximate) - Number(b.approximate) || a.priority - b.priority,
  );
}
