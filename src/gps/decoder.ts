/**
 * Bytes → fixes: the one NMEA path shared by the daemon's serial and replay sources and by
 * `alpr gps decode` (pure; the caller supplies the arrival time).
 */
import type { Fix } from '../domain/types.ts';
import { type FixEvent, FixState } from './fix-state.ts';
import { type FramerStats, NmeaFramer } from './nmea.ts';
import { decodeSentence } from './nmea-sentences.ts';

export class NmeaDecoder {
  private readonly framer = new NmeaFramer();
  private readonly state = new FixState();

  get stats(): Readonly<FramerStats> {
    return this.framer.stats;
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
    out.push(...this.state.flush());
    return out;
  }

  private run(sentences: ReturnType<NmeaFramer['push']>, receivedAt: number): FixEvent[] {
    const out: FixEvent[] = [];
    for (const s of sentences) {
      const r = decodeSentence(s);
      if (r) out.push(...this.state.feed(r, receivedAt));
    }
    return out;
  }
}

/** Every fix in a whole NMEA log, in order (no-fix epochs yield nothing). */
export function decodeNmeaLog(text: Buffer | string, receivedAt = 0): { fixes: Fix[]; stats: FramerStats } {
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
