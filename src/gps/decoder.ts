/**
 * Bytes → fixes: the one NMEA path shared by the daemon's serial and replay sources and by
 * `alpr gps decode` (pure; the caller supplies the arrival time).
 */
import type { Fix } from '../domain/types.ts';
import { type FixEvent, FixState } from './fix-state.ts';
import { type FramerStats, NmeaFramer } from './nmea.ts';
import { decodeSentence } from './nmea-sentences.ts';

export interface DecoderStats extends FramerStats {
  /** Checked sentences refused for out-of-range values, or whose decoding failed. */
  rejected: number;
}

export class NmeaDecoder {
  private readonly framer = new NmeaFramer();
  private readonly state = new FixState();
  private rejected = 0;

  /** `onReject` hears why a sentence was refused (the stage counts and rate-limits the warning). */
  constructor(private readonly onReject: (reason: string) => void = () => {}) {}

  get stats(): Readonly<DecoderStats> {
    return { ...this.framer.stats, rejected: this.rejected };
  }

  satellitesInView(): number | null {
    return this.state.satellitesInView();
  }

  /** Feeds raw bytes that arrived at `receivedAt` (epoch ms); returns the epochs they completed. */
  push(chunk: Buffer | string, receivedAt: number): FixEvent[] {
    return this.run(this.framer.push(chunk), receivedAt);
  }

  /** End of stream: the unfinished sentence and epoch are closed. */
  flush(receivedAt: number): FixEvent[] {
    const out = this.run(this.framer.flush(), receivedAt);
    try {
      out.push(...this.state.flush());
    } catch (err) {
      this.reject(`closing the last epoch failed: ${(err as Error).message}`);
    }
    return out;
  }

  /**
   * Each sentence on its own: one that fails (a decoder bug no test found yet) is counted and
   * skipped, and the sentences after it still decode. Nothing a receiver sends escapes as a throw.
   */
  private run(sentences: ReturnType<NmeaFramer['push']>, receivedAt: number): FixEvent[] {
    const out: FixEvent[] = [];
    for (const s of sentences) {
      try {
        const r = decodeSentence(s);
        if (!r) continue;
        if (r.bad) this.reject(`${s.talker}${s.type}: ${r.bad.join(', ')} out of range`);
        out.push(...this.state.feed(r, receivedAt));
      } catch (err) {
        this.reject(`${s.talker}${s.type} could not be decoded: ${(err as Error).message}`);
      }
    }
    return out;
  }

  private reject(reason: string): void {
    this.rejected++;
    this.onReject(reason);
  }
}

/** Every fix in a whole NMEA log, in order (no-fix epochs yield nothing). */
export function decodeNmeaLog(text: Buffer | string, receivedAt = 0): { fixes: Fix[]; stats: DecoderStats } {
  const d = new NmeaDecoder();
  const events = [...d.push(text, receivedAt), ...d.flush(receivedAt)];
  const fixes = events.flatMap((e) => (e.type === 'fix' ? [e.fix] : []));
  return { fixes, stats: { ...d.stats } };
}

const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));

/** The JSON-lines record `alpr gps decode` prints for a fix (degrees to 1e-9, as gpsd prints). */
export function fixRecord(f: Fix): Record<string, unknown> {
  return {
    time: f.time,
    lat: round(f.lat, 9),
    lon: round(f.lon, 9),
    alt: f.alt,
    speed: round(f.speed, 3),
    course: f.course,
    quality: f.quality,
    sats: f.sats,
    hdop: f.hdop,
  };
}
