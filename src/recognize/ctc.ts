/** Pure CTC decoding over a plate alphabet: masking, greedy decode, prefix beam search. */

/** The plate alphabet; decoder column j+1 is PLATE_ALPHABET[j], column 0 is the CTC blank. */
export const PLATE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * For every plate character, the model classes whose probability counts towards it. `keys` is the
 * model's character list (class i+1 = keys[i], class 0 = blank). With `foldLowercase`, a lowercase
 * letter's probability goes to its uppercase class (the model often calls plate letters lowercase).
 */
export function plateClassGroups(keys: readonly string[], foldLowercase: boolean): number[][] {
  const groups: number[][] = [...PLATE_ALPHABET].map(() => []);
  keys.forEach((k, i) => {
    const up = foldLowercase ? k.toUpperCase() : k;
    if (up.length !== 1 || (!foldLowercase && k !== up)) return;
    const j = PLATE_ALPHABET.indexOf(up);
    if (j >= 0) groups[j]!.push(i + 1);
  });
  return groups;
}

/**
 * Masks a T×C softmax output down to blank + plate classes and renormalises every time step, so
 * the other ~6,600 classes can never win the argmax. Returns a T×(1+groups) row-major matrix.
 */
export function maskProbs(
  out: ArrayLike<number>,
  T: number,
  C: number,
  groups: readonly number[][],
  weights?: readonly number[],
): Float32Array {
  const K = groups.length + 1;
  const res = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    const base = t * C;
    let sum = out[base] ?? 0;
    res[t * K] = sum;
    for (let j = 0; j < groups.length; j++) {
      let p = 0;
      for (const c of groups[j]!) p += out[base + c] ?? 0;
      if (weights) p *= weights[j] ?? 1;
      res[t * K + j + 1] = p;
      sum += p;
    }
    const inv = sum > 0 ? 1 / sum : 0;
    for (let k = 0; k < K; k++) res[t * K + k]! *= inv;
  }
  return res;
}

export interface Decoded {
  text: string;
  /** Per character: the highest probability over the frames that emitted it. */
  charConfidences: number[];
  /** Product of the per-character confidences. */
  confidence: number;
}

/** Best-path decode: argmax per step, collapse repeats, drop blanks. */
export function greedyDecode(probs: Float32Array, T: number, K: number, alphabet = PLATE_ALPHABET): Decoded {
  let text = '';
  const confs: number[] = [];
  let prev = 0;
  for (let t = 0; t < T; t++) {
    let best = 0;
    let bp = -1;
    for (let k = 0; k < K; k++) {
      const p = probs[t * K + k]!;
      if (p > bp) {
        bp = p;
        best = k;
      }
    }
    if (best !== 0 && best === prev) {
      confs[confs.length - 1] = Math.max(confs[confs.length - 1]!, bp);
    } else if (best !== 0) {
      text += alphabet[best - 1];
      confs.push(bp);
    }
    prev = best;
  }
  return { text, charConfidences: confs, confidence: confs.reduce((a, b) => a * b, 1) };
}

export interface Scored {
  text: string;
  /** Probability of the text summed over all its CTC alignments. */
  prob: number;
}

/**
 * CTC prefix beam search: the `beam` most probable texts, each with its probability summed over
 * alignments. Classes under `minProb` at a step are skipped (they cannot change the top texts).
 */
export function beamSearch(
  probs: Float32Array,
  T: number,
  K: number,
  beam = 16,
  alphabet = PLATE_ALPHABET,
  minProb = 1e-3,
): Scored[] {
  // prefix → [p ending in blank, p ending in non-blank]
  let beams = new Map<string, [number, number]>([['', [1, 0]]]);
  for (let t = 0; t < T; t++) {
    const row = t * K;
    const next = new Map<string, [number, number]>();
    const add = (key: string, pb: number, pnb: number) => {
      const e = next.get(key);
      if (e) {
        e[0] += pb;
        e[1] += pnb;
      } else next.set(key, [pb, pnb]);
    };
    const blank = probs[row]!;
    for (const [prefix, [pb, pnb]] of beams) {
      add(prefix, (pb + pnb) * blank, 0);
      const last = prefix.length > 0 ? prefix[prefix.length - 1] : '';
      for (let k = 1; k < K; k++) {
        const p = probs[row + k]!;
        if (p < minProb) continue;
        const ch = alphabet[k - 1]!;
        if (ch === last) {
          add(prefix, 0, pnb * p); // repeat collapses
          add(prefix + ch, 0, pb * p); // a blank separated the two
        } else {
          add(prefix + ch, 0, (pb + pnb) * p);
        }
      }
    }
    beams = new Map([...next].sort((a, b) => b[1][0] + b[1][1] - (a[1][0] + a[1][1])).slice(0, beam));
  }
  return [...beams]
    .map(([text, [pb, pnb]]) => ({ text, prob: pb + pnb }))
    .filter((s) => s.text.length > 0 && s.prob > 0)
    .sort((a, b) => b.prob - a.prob);
}
