/**
 * A Bloom filter over fold keys: almost every read is a miss, and a miss then costs a few hash
 * probes in memory instead of an SQLite index probe per list. No false negatives, so a filter
 * that is too small (a list grown past its estimate) only costs extra probes, never a missed hit.
 */
export const BLOOM_K = 7;
const MIN_BITS = 1 << 16;
const MAX_BITS = 1 << 27; // 16 MiB

/** Bits for an expected number of keys: ~10 bits a key (≈1 % false positives), a power of two. */
export function bloomBits(expectedKeys: number): number {
  let bits = MIN_BITS;
  while (bits < expectedKeys * 10 && bits < MAX_BITS) bits *= 2;
  return bits;
}

function hashes(key: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x85ebca6b);
  return [h1 >>> 0, (h2 | 1) >>> 0];
}

export class Bloom {
  readonly bits: Uint8Array;
  private readonly mask: number;

  constructor(bitsOrBuffer: number | Uint8Array) {
    this.bits = typeof bitsOrBuffer === 'number' ? new Uint8Array(bitsOrBuffer >>> 3) : bitsOrBuffer;
    const n = this.bits.length * 8;
    if (n === 0 || (n & (n - 1)) !== 0) throw new Error('bloom size must be a power of two');
    this.mask = n - 1;
  }

  add(key: string): void {
    const [a, b] = hashes(key);
    for (let i = 0; i < BLOOM_K; i++) {
      const bit = (a + Math.imul(i, b)) & this.mask;
      this.bits[bit >>> 3]! |= 1 << (bit & 7);
    }
  }

  has(key: string): boolean {
    const [a, b] = hashes(key);
    for (let i = 0; i < BLOOM_K; i++) {
      const bit = (a + Math.imul(i, b)) & this.mask;
      if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}
