import type { CtcEvidence } from '../../src/domain/types.ts';
import { PLATE_ALPHABET } from '../../src/recognize/ctc.ts';

const K = PLATE_ALPHABET.length + 1;

/**
 * A CTC output that spells `text` for sure, except at the positions in `alt`, where the character
 * has probability `p` and the alternative glyph the rest.
 */
export function spell(text: string, p: number, alt: Record<number, string> = {}): CtcEvidence {
  const T = text.length * 2 + 1;
  const probs = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    const i = (t - 1) / 2;
    const ch = t % 2 === 1 ? text[i]! : null;
    const k = ch ? PLATE_ALPHABET.indexOf(ch) + 1 : 0;
    const other = ch ? alt[i] : undefined;
    probs[t * K + k] = other ? p : 1;
    if (other) probs[t * K + PLATE_ALPHABET.indexOf(other) + 1] = 1 - p;
  }
  return { T, K, probs };
}
