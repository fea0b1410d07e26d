/**
 * An exact in-memory index of one list's plates: answers "is any entry within `maxSubs`
 * look-alike substitutions of this text?" without touching SQLite. Almost every read is a miss,
 * and in a dense state list a read's look-alike fold key is often shared by some entry (the
 * fold is coarse: 1, 2, 7, I, L, T and Z are one class), so a filter on the fold key alone sends
 * many misses to an SQLite probe. This index decides the exact question in memory; SQLite is
 * read only for real hits. Pure (no I/O).
 *
 * Each plate (2-8 of A-Z 0-9; wildcard plates are not indexed) packs into 61 bits: its fold key
 * in base 23 (class ids 1..22, 0 pads short plates) above 3 bits per position naming the glyph
 * within its fold class. Sorting these numbers groups plates by fold key; a look-up is one binary
 * search plus a scan of the plates that share the read's fold key. 8 bytes per entry: 40 MB for
 * a 5,000,000-entry list.
 */
import { confusable, foldKey } from './confusion.ts';

const GLYPHS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MAX_LEN = 8;
const CLASS = new Uint8Array(128);
const MEMBER = new Uint8Array(128);
const MEMBERS: string[][] = [[]];

function buildClasses(): string {
  const byRep = new Map<string, string[]>();
  for (const g of [...GLYPHS].sort()) {
    const rep = foldKey(g);
    const list = byRep.get(rep) ?? [];
    list.push(g);
    byRep.set(rep, list);
  }
  for (const rep of [...byRep.keys()].sort()) {
    const members = byRep.get(rep)!;
    if (members.length > 8)
      throw new Error('a fold class has more than 8 glyphs: plate index cannot pack it');
    const id = MEMBERS.length;
    MEMBERS.push(members);
    members.forEach((g, i) => {
      CLASS[g.charCodeAt(0)] = id;
      MEMBER[g.charCodeAt(0)] = i;
    });
  }
  if (MEMBERS.length > 23) throw new Error('more than 22 fold classes: plate index cannot pack them');
  return MEMBERS.slice(1)
    .map((m) => m.join(''))
    .join('|');
}

/** The class layout the packed numbers depend on: a stored index with another layout is rebuilt. */
export const PLATE_INDEX_FORMAT = `pi1:${buildClasses()}`;

/** DIGIT[class · 8 + member]: 1 when that glyph is a digit. */
const DIGIT = new Uint8Array(23 * 8);
for (let c = 0; c < MEMBERS.length; c++) {
  MEMBERS[c]!.forEach((g, k) => {
    if (g >= '0' && g <= '9') DIGIT[c * 8 + k] = 1;
  });
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Packs a plate into [hi, lo] 32-bit words (the 61-bit number = hi·2³² + lo), or null when the
 * text is not 1-8 of A-Z 0-9.
 */
export function packPlate(text: string): [number, number] | null {
  const len = text.length;
  if (len === 0 || len > MAX_LEN) return null;
  let f = 0;
  let m = 0;
  for (let i = 0; i < MAX_LEN; i++) {
    let c = 0;
    let k = 0;
    if (i < len) {
      const code = text.charCodeAt(i);
      c = code < 128 ? CLASS[code]! : 0;
      if (c === 0) return null;
      k = MEMBER[code]!;
    }
    f = f * 23 + c;
    m = m * 8 + k;
  }
  // f < 23^8 < 2^37 and m < 2^24: the number is f·2^24 + m, split without leaving doubles' range.
  return [Math.floor(f / 256), ((f % 256) * 0x1000000 + m) >>> 0];
}

/** The plate text of packed words (for tests and the rebuild check). */
export function unpackPlate(hi: number, lo: number): string {
  let f = hi * 256 + (lo >>> 24);
  let m = lo & 0xffffff;
  const out: string[] = [];
  for (let i = MAX_LEN - 1; i >= 0; i--) {
    const c = f % 23;
    f = Math.floor(f / 23);
    const k = m & 7;
    m >>>= 3;
    if (c !== 0) out.push(MEMBERS[c]![k]!);
  }
  return out.reverse().join('');
}

export class PlateIndex {
  /** Little-endian [lo, hi] pairs, sorted as 64-bit numbers. */
  private readonly words: Uint32Array;
  readonly size: number;

  private shapes: Map<number, number> | null = null;

  constructor(words: Uint32Array, size: number) {
    if (words.length < size * 2) throw new Error('plate index words shorter than its size');
    this.words = words;
    this.size = size;
  }

  static empty(): PlateIndex {
    return new PlateIndex(new Uint32Array(0), 0);
  }

  /** An index over stored bytes (from `bytes()`); copies them when they are not 4-byte aligned. */
  static fromBytes(buf: Uint8Array): PlateIndex {
    if (buf.byteLength % 8 !== 0) throw new Error('plate index bytes are not whole entries');
    const aligned = buf.byteOffset % 4 === 0 ? buf : new Uint8Array(buf);
    const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    return new PlateIndex(words, aligned.byteLength / 8);
  }

  bytes(): Buffer {
    return Buffer.from(this.words.buffer, this.words.byteOffset, this.size * 8);
  }

  /** A new index with `plates` added (officer hot plates: small lists). */
  withAdded(plates: readonly string[]): PlateIndex {
    const b = new PlateIndexBuilder(this.size + plates.length);
    b.addPacked(this.words.subarray(0, this.size * 2));
    for (const p of plates) b.add(p);
    return b.finish();
  }

  /** A new index with `removed` plates taken out (one occurrence each) and `added` ones put in. */
  withChanges(added: readonly string[], removed: readonly string[]): PlateIndex {
    const gone: number[] = [];
    const taken = new Set<number>();
    for (const p of removed) {
      const k = packPlate(p);
      if (!k) continue;
      for (let i = this.lowerBound(k[0], k[1]); i < this.size; i++) {
        if (this.words[i * 2 + 1] !== k[0] || this.words[i * 2] !== k[1]) break;
        if (!taken.has(i)) {
          taken.add(i);
          gone.push(i);
          break;
        }
      }
    }
    gone.sort((a, b) => a - b);
    const b = new PlateIndexBuilder(this.size + added.length);
    let from = 0;
    for (const i of [...gone, this.size]) {
      b.addPacked(this.words.subarray(from * 2, i * 2));
      from = i + 1;
    }
    for (const p of added) b.add(p);
    return b.finish();
  }

  /**
   * Entries per shape (`shapeOf`: length and digit positions), counted once per index (an index
   * never changes; a new list version is a new index): ~0.1 s for 5,000,000 plates.
   */
  shapeCounts(): ReadonlyMap<number, number> {
    if (this.shapes) return this.shapes;
    const counts = new Map<number, number>();
    const w = this.words;
    for (let i = 0; i < this.size; i++) {
      const hi = w[i * 2 + 1]!;
      const lo = w[i * 2]!;
      let f = hi * 256 + (lo >>> 24);
      let m = lo & 0xffffff;
      let len = 0;
      let mask = 0;
      for (let pos = MAX_LEN - 1; pos >= 0; pos--) {
        const c = f % 23;
        f = Math.floor(f / 23);
        const k = m & 7;
        m >>>= 3;
        if (c === 0) continue;
        len = Math.max(len, pos + 1);
        if (DIGIT[c * 8 + k]) mask |= 1 << pos;
      }
      const shape = len * 256 + mask;
      counts.set(shape, (counts.get(shape) ?? 0) + 1);
    }
    this.shapes = counts;
    return counts;
  }

  /** First position whose number is ≥ hi·2³² + lo. */
  private lowerBound(hi: number, lo: number): number {
    const w = this.words;
    let a = 0;
    let b = this.size;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const h = w[mid * 2 + 1]!;
      if (h < hi || (h === hi && w[mid * 2]! < lo)) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** True when some indexed plate has the same fold key as `text`. */
  hasFold(text: string): boolean {
    const p = packPlate(text);
    if (!p) return false;
    const [hi, lo] = p;
    const i = this.lowerBound(hi, (lo & 0xff000000) >>> 0);
    return i < this.size && this.words[i * 2 + 1] === hi && this.words[i * 2]! >>> 24 === lo >>> 24;
  }

  /**
   * True when some indexed plate equals `text` or differs from it only by at most `maxSubs`
   * legal look-alike substitutions (the same rule as `lookalikeDiff`).
   */
  near(text: string, maxSubs: number): boolean {
    return this.scan(text, maxSubs, null);
  }

  /** Every distinct indexed plate within `maxSubs` look-alike substitutions of `text`. */
  matches(text: string, maxSubs: number): string[] {
    const out: string[] = [];
    this.scan(text, maxSubs, out);
    return out;
  }

  /** The fold-key run of `text`: stops at the first match when `out` is null, else collects. */
  private scan(text: string, maxSubs: number, out: string[] | null): boolean {
    const p = packPlate(text);
    if (!p) return false;
    const [hi, lo] = p;
    const w = this.words;
    const top = lo >>> 24;
    let last = -1;
    for (let i = this.lowerBound(hi, (top * 0x1000000) >>> 0); i < this.size; i++) {
      const elo = w[i * 2]!;
      if (w[i * 2 + 1] !== hi || elo >>> 24 !== top) break;
      if (elo === last) continue; // the same plate again (sorted: repeats are adjacent)
      if (elo === lo || (maxSubs > 0 && withinSubs(text, elo & 0xffffff, lo & 0xffffff, maxSubs))) {
        if (!out) return true;
        out.push(unpackPlate(hi, elo));
        last = elo;
      }
    }
    return out !== null && out.length > 0;
  }
}

/** Whether the plate with member bits `em` is within `maxSubs` substitutions of `text` (member bits `rm`). */
function withinSubs(text: string, em: number, rm: number, maxSubs: number): boolean {
  let subs = 0;
  for (let i = 0; i < text.length; i++) {
    const shift = 3 * (MAX_LEN - 1 - i);
    const ek = (em >>> shift) & 7;
    const rk = (rm >>> shift) & 7;
    if (ek === rk) continue;
    const members = MEMBERS[CLASS[text.charCodeAt(i)]!]!;
    if (!confusable(members[rk]!, members[ek]!) || ++subs > maxSubs) return false;
  }
  return true;
}

/** Collects packed plates while a list version is written, then sorts them once. */
export class PlateIndexBuilder {
  private words: Uint32Array;
  private n = 0;

  constructor(expected = 0) {
    if (!LITTLE_ENDIAN) throw new Error('the plate index needs a little-endian machine');
    this.words = new Uint32Array(Math.max(1024, Math.ceil(expected)) * 2);
  }

  get size(): number {
    return this.n;
  }

  private grow(need: number): void {
    if (need <= this.words.length) return;
    const next = new Uint32Array(Math.max(need, this.words.length * 2));
    next.set(this.words.subarray(0, this.n * 2));
    this.words = next;
  }

  /** Adds a plate; a wildcard or unpackable plate is skipped (false). */
  add(plate: string): boolean {
    const p = packPlate(plate);
    if (!p) return false;
    this.grow(this.n * 2 + 2);
    this.words[this.n * 2] = p[1];
    this.words[this.n * 2 + 1] = p[0];
    this.n++;
    return true;
  }

  addPacked(words: Uint32Array): void {
    this.grow(this.n * 2 + words.length);
    this.words.set(words, this.n * 2);
    this.n += words.length / 2;
  }

  finish(): PlateIndex {
    // Up to 10 % slack stays (no copy of a 40 MB array at the end of a state-list import).
    const words = this.words.length > this.n * 2.2 + 1024 ? this.words.slice(0, this.n * 2) : this.words;
    new BigUint64Array(words.buffer, words.byteOffset, this.n).sort();
    return new PlateIndex(words, this.n);
  }
}
