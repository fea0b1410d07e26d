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
 *
 * The prefixes live in a trie (node ids; a text is spelled only for the texts returned), so a step
 * builds no strings: the same sums in the same order as a search keyed by prefix strings, and the
 * same stable ranking, at a fraction of the cost (it runs on every crop the reader reads).
 */
export function beamSearch(
  probs: Float32Array,
  T: number,
  K: number,
  beam = 16,
  alphabet = PLATE_ALPHABET,
  minProb = 1e-3,
): Scored[] {
  // the trie: node 0 is the empty prefix; each other node is its parent and one more character
  const parent: number[] = [-1];
  const lastChar: string[] = [''];
  const child = new Map<number, number>();
  const extend = (node: number, k: number): number => {
    const key = node * K + k;
    let c = child.get(key);
    if (c === undefined) {
      c = parent.length;
      parent.push(node);
      lastChar.push(alphabet[k - 1]!);
      child.set(key, c);
    }
    return c;
  };
  // the beams, in rank order: node, p ending in blank, p ending in non-blank
  let nodes = [0];
  let pbs = [1];
  let pnbs = [0];
  // a node's index among this step's prefixes, valid where its stamp is this step's
  const slot: number[] = [];
  const stamp: number[] = [];
  for (let t = 0; t < T; t++) {
    const row = t * K;
    const nextNodes: number[] = [];
    const nextPb: number[] = [];
    const nextPnb: number[] = [];
    // in the order a prefix first gets probability, as the ranking's ties keep it
    const add = (node: number, pb: number, pnb: number) => {
      const i = stamp[node] === t ? slot[node] : undefined;
      if (i === undefined) {
        stamp[node] = t;
        slot[node] = nextNodes.length;
        nextNodes.push(node);
        nextPb.push(pb);
        nextPnb.push(pnb);
      } else {
        nextPb[i]! += pb;
        nextPnb[i]! += pnb;
      }
    };
    const blank = probs[row]!;
    // the classes this step can extend a prefix with, once for every beam
    const ks: number[] = [];
    for (let k = 1; k < K; k++) if (!(probs[row + k]! < minProb)) ks.push(k);
    for (let b = 0; b < nodes.length; b++) {
      const node = nodes[b]!;
      const pb = pbs[b]!;
      const pnb = pnbs[b]!;
      add(node, (pb + pnb) * blank, 0);
      const last = lastChar[node]!;
      for (const k of ks) {
        const p = probs[row + k]!;
        if (alphabet[k - 1] === last) {
          add(node, 0, pnb * p); // repeat collapses
          add(extend(node, k), 0, pb * p); // a blank separated the two
        } else {
          add(extend(node, k), 0, (pb + pnb) * p);
        }
      }
    }
    // the best `beam`, most probable first, equal ones in their order: a stable sort's first
    // `beam`, by insertion into the kept few
    const order: number[] = [];
    for (let i = 0; i < nextNodes.length; i++) {
      const v = nextPb[i]! + nextPnb[i]!;
      let j = order.length;
      while (j > 0 && nextPb[order[j - 1]!]! + nextPnb[order[j - 1]!]! < v) j--;
      if (j >= beam) continue;
      order.splice(j, 0, i);
      if (order.length > beam) order.pop();
    }
    nodes = order.map((i) => nextNodes[i]!);
    pbs = order.map((i) => nextPb[i]!);
    pnbs = order.map((i) => nextPnb[i]!);
  }
  const spell = (node: number): string => {
    let text = '';
    for (let n = node; n > 0; n = parent[n]!) text = lastChar[n]! + text;
    return text;
  };
  return nodes
    .map((node, i) => ({ text: spell(node), prob: pbs[i]! + pnbs[i]! }))
    .filter((s) => s.text.length > 0 && s.prob > 0)
    .sort((a, b) => b.prob - a.prob);
}

/**
 * The probability of `text` under a T×K CTC output, summed over every alignment (the forward
 * algorithm, in log space so long texts do not underflow). Characters outside `alphabet` give 0.
 * This scores any text, not only the beams the decoder kept: a hot-list entry read as a
 * near miss still gets the probability the model gives it.
 */
export function ctcLogProb(
  probs: ArrayLike<number>,
  T: number,
  K: number,
  text: string,
  alphabet = PLATE_ALPHABET,
): number {
  const labels: number[] = [];
  for (const ch of text) {
    const j = alphabet.indexOf(ch);
    if (j < 0 || j + 1 >= K) return Number.NEGATIVE_INFINITY;
    labels.push(j + 1);
  }
  const L = labels.length;
  const S = 2 * L + 1;
  // extended label sequence: blank, l1, blank, l2, …, blank
  const ext = (s: number) => (s % 2 === 0 ? 0 : labels[(s - 1) / 2]!);
  if (T === 0) return L === 0 ? 0 : Number.NEGATIVE_INFINITY;
  const NEG = Number.NEGATIVE_INFINITY;
  let alpha = new Float64Array(S).fill(NEG);
  const lp = (t: number, k: number) => Math.log(Math.max(probs[t * K + k] ?? 0, 1e-30));
  alpha[0] = lp(0, 0);
  if (S > 1) alpha[1] = lp(0, ext(1));
  for (let t = 1; t < T; t++) {
    const next = new Float64Array(S).fill(NEG);
    // only states that can still reach the end in the steps left are live
    const lo = Math.max(0, S - 2 * (T - t));
    for (let s = lo; s < S; s++) {
      let a = alpha[s]!;
      if (s > 0) a = logAdd(a, alpha[s - 1]!);
      if (s > 1 && ext(s) !== 0 && ext(s) !== ext(s - 2)) a = logAdd(a, alpha[s - 2]!);
      if (a === NEG) continue;
      next[s] = a + lp(t, ext(s));
    }
    alpha = next;
  }
  return S > 1 ? logAdd(alpha[S - 1]!, alpha[S - 2]!) : alpha[0]!;
}

function logAdd(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
