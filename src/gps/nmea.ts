/**
 * NMEA 0183 framing and checksums (pure). Receivers in cars send NUL bytes after a brown-out,
 * sentences cut short by a reset, and two sentences glued together when a line ending is lost.
 * The framer survives all of these: a `$` or `!` always starts a new sentence, CR, LF and NUL end
 * one, and anything that fails its checksum is counted and dropped — never parsed.
 */

/** One checked sentence: `$GNRMC,...*hh` → talker `GN`, type `RMC`, fields after the address. */
export interface Sentence {
  talker: string;
  type: string;
  fields: string[];
}

export interface FramerStats {
  /** Sentences that passed their checksum. */
  ok: number;
  badChecksum: number;
  /** Sentences without a `*hh` checksum (cut short, or from a receiver that omits it). */
  noChecksum: number;
  /** Candidates that were not NMEA at all (binary noise, over-long lines, bad characters). */
  garbage: number;
}

/** NMEA 0183 allows 82 characters; several receivers exceed it, so allow some slack. */
const MAX_SENTENCE = 200;

/** XOR of the characters between `$` and `*`, as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** Wraps a body (`GPRMC,...`) into a full sentence with its checksum (for fixtures and tests). */
export function nmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}`;
}

export type CheckResult =
  | { ok: true; sentence: Sentence }
  | { ok: false; why: 'badChecksum' | 'noChecksum' | 'garbage' };

/** Verifies one candidate line (`$...*hh`, anything after the two checksum digits ignored). */
export function checkSentence(line: string): CheckResult {
  if (line.length < 7 || (line[0] !== '$' && line[0] !== '!')) return { ok: false, why: 'garbage' };
  const star = line.indexOf('*');
  if (star < 0) return { ok: false, why: 'noChecksum' };
  const given = line.slice(star + 1, star + 3).toUpperCase();
  if (!/^[0-9A-F]{2}$/.test(given)) return { ok: false, why: 'noChecksum' };
  const body = line.slice(1, star);
  if (nmeaChecksum(body) !== given) return { ok: false, why: 'badChecksum' };
  const parts = body.split(',');
  const address = parts[0] ?? '';
  // Standard sentences: 2-letter talker + 3-letter type. Proprietary: P + maker + type (PGRMF).
  if (!/^[A-Z][A-Z0-9]{4,5}$/.test(address)) return { ok: false, why: 'garbage' };
  const proprietary = address[0] === 'P';
  return {
    ok: true,
    sentence: {
      talker: proprietary ? 'P' : address.slice(0, 2),
      type: proprietary ? address.slice(1) : address.slice(2),
      fields: parts.slice(1),
    },
  };
}

/**
 * Splits a byte stream into checked sentences. Feed it chunks as they come (a serial port gives
 * arbitrary slices); it keeps the unfinished tail for the next chunk.
 */
export class NmeaFramer {
  readonly stats: FramerStats = { ok: 0, badChecksum: 0, noChecksum: 0, garbage: 0 };
  private current = '';
  private inSentence = false;

  push(chunk: Buffer | string): Sentence[] {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const out: Sentence[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x24 || c === 0x21) {
        // `$` or `!`: a new sentence starts, whatever was unfinished is lost.
        if (this.inSentence) this.finish(out);
        this.current = text[i]!;
        this.inSentence = true;
      } else if (c === 0x0d || c === 0x0a || c === 0x00) {
        if (this.inSentence) this.finish(out);
      } else if (this.inSentence) {
        if (c < 0x20 || c > 0x7e || this.current.length >= MAX_SENTENCE) {
          this.stats.garbage++;
          this.reset();
        } else {
          this.current += text[i];
        }
      }
    }
    return out;
  }

  /** Ends the stream: a last sentence without a line ending is still checked. */
  flush(): Sentence[] {
    const out: Sentence[] = [];
    if (this.inSentence) this.finish(out);
    return out;
  }

  private finish(out: Sentence[]): void {
    const r = checkSentence(this.current);
    this.reset();
    if (r.ok) {
      this.stats.ok++;
      out.push(r.sentence);
    } else {
      this.stats[r.why]++;
    }
  }

  private reset(): void {
    this.current = '';
    this.inSentence = false;
  }
}
