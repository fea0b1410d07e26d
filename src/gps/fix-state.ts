/**
 * The fix state machine (pure): decoded sentences in, one `Fix` (or a no-fix notice) per receiver
 * epoch out.
 *
 * A receiver sends a burst of sentences per epoch (RMC, GGA, GSA, GSV… sharing a time of day).
 * Sentences are merged into the current epoch; a sentence carrying a different time of day closes
 * it. To avoid waiting a whole second for that, the state learns which timed sentence ends an
 * epoch (gpsd calls it the cycle ender) and emits as soon as that sentence arrives.
 *
 * An epoch is a fix only when every position sentence in it says the position is valid: a no-fix
 * RMC/GGA/GLL (status V, quality 0, mode N) never yields a position, whatever its fields hold.
 * Nor is the date of a no-fix RMC trusted: cold-booting receivers send made-up dates.
 */
import type { Fix, FixQuality } from '../domain/types.ts';
import { dateForTod, receiverUtcMs } from './gps-time.ts';
import type { PositionReport, Report, YMD } from './nmea-sentences.ts';

/** The largest epoch ms a JavaScript Date holds (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

export type FixEvent = { type: 'fix'; fix: Fix } | { type: 'nofix'; time: string | null; at: number };

interface Epoch {
  tod: number | null;
  positions: number;
  invalid: boolean;
  lat: number | null;
  lon: number | null;
  ggaQuality: FixQuality | null;
  modeQuality: FixQuality | null;
  alt: number | null;
  speed: number | null;
  course: number | null;
  /** Satellites used, per GGA talker (a SiRFstar sends GPGGA and GLGGA for one epoch). */
  sats: Map<string, number>;
  hdop: number | null;
  lastTimedKey: string | null;
  /** Position and time sentences seen (`GNRMC`…): a second one of a kind starts a new epoch. */
  keys: Set<string>;
  emitted: boolean;
}

function newEpoch(tod: number | null): Epoch {
  return {
    tod,
    positions: 0,
    invalid: false,
    lat: null,
    lon: null,
    ggaQuality: null,
    modeQuality: null,
    alt: null,
    speed: null,
    course: null,
    sats: new Map(),
    hdop: null,
    lastTimedKey: null,
    keys: new Set(),
    emitted: false,
  };
}

function totalSats(m: Map<string, number>): number | null {
  if (m.size === 0) return null;
  const gn = m.get('GNGGA');
  if (gn !== undefined) return gn;
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

export class FixState {
  private epoch = newEpoch(null);
  private date: YMD | null = null;
  private dateTod = 0;
  private ender: string | null = null;
  /** Satellites in view per talker, from GSV. */
  private readonly inView = new Map<string, number>();
  private lastReceivedAt = 0;

  /** Satellites in view over all constellations, or null before any GSV. */
  satellitesInView(): number | null {
    if (this.inView.size === 0) return null;
    let n = 0;
    for (const v of this.inView.values()) n += v;
    return n;
  }

  /** Applies one decoded sentence that arrived at `receivedAt` (system clock, epoch ms). */
  feed(r: Report, receivedAt: number): FixEvent[] {
    this.lastReceivedAt = receivedAt;
    const out: FixEvent[] = [];
    if (r.kind === 'position' || r.kind === 'time') this.maybeNewEpoch(r.key, r.tod, out);
    this.apply(r);
    if ((r.kind === 'position' || r.kind === 'time') && r.tod !== null) {
      this.epoch.lastTimedKey = r.key;
      if (r.key === this.ender) this.close(out);
    }
    return out;
  }

  /**
   * A new time of day starts a new epoch (and teaches which sentence ended the last one). So does
   * a second sentence of one kind, which separates the untimed epochs of a receiver without a fix,
   * and a first timed sentence after untimed ones.
   */
  private maybeNewEpoch(key: string, tod: number | null, out: FixEvent[]): void {
    const e = this.epoch;
    if (tod !== null && e.tod !== null && tod !== e.tod) {
      this.ender = e.lastTimedKey;
    } else if (!e.keys.has(key) && !(tod !== null && e.tod === null && e.positions > 0)) {
      if (e.tod === null) e.tod = tod;
      e.keys.add(key);
      return;
    }
    this.close(out);
    this.epoch = newEpoch(tod);
    this.epoch.keys.add(key);
  }

  /** Ends the stream: the last epoch is emitted. */
  flush(): FixEvent[] {
    const out: FixEvent[] = [];
    this.close(out);
    return out;
  }

  private apply(r: Report): void {
    const e = this.epoch;
    switch (r.kind) {
      case 'position':
        this.applyPosition(r);
        break;
      case 'velocity':
        if (!r.valid) break;
        if (r.speed !== null) e.speed = r.speed;
        if (r.course !== null) e.course = r.course;
        break;
      case 'dop':
        if (r.hdop !== null && e.hdop === null) e.hdop = r.hdop;
        break;
      case 'sky':
        if (r.inView !== null) this.inView.set(r.talker, r.inView);
        break;
      case 'time':
        if (r.date && r.tod !== null) this.setDate(r.date, r.tod);
        break;
    }
  }

  private applyPosition(r: PositionReport): void {
    const e = this.epoch;
    e.positions++;
    if (r.valid && r.date && r.tod !== null) this.setDate(r.date, r.tod);
    if (r.sats !== null) e.sats.set(r.key, r.sats);
    if (!r.valid) {
      e.invalid = true;
      return;
    }
    e.lat = r.lat;
    e.lon = r.lon;
    if (r.fromGga) e.ggaQuality = r.quality;
    else if (r.quality !== null) e.modeQuality = r.quality;
    if (r.alt !== null) e.alt = r.alt;
    if (r.speed !== null) e.speed = r.speed;
    if (r.course !== null) e.course = r.course;
    if (r.hdop !== null) e.hdop = r.hdop;
  }

  private setDate(date: YMD, tod: number): void {
    this.date = date;
    this.dateTod = tod;
  }

  /** Null when the receiver's date cannot be a time (toISOString throws on those). */
  private timeIso(): string | null {
    const tod = this.epoch.tod;
    if (tod === null || this.date === null) return null;
    const day = dateForTod(this.date, this.dateTod, tod);
    const ms = receiverUtcMs(day, tod);
    return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : null;
  }

  private close(out: FixEvent[]): void {
    const e = this.epoch;
    if (e.emitted || e.positions === 0) return;
    e.emitted = true;
    const at = this.lastReceivedAt;
    if (e.invalid || e.lat === null || e.lon === null) {
      out.push({ type: 'nofix', time: this.timeIso(), at });
      return;
    }
    out.push({
      type: 'fix',
      fix: {
        time: this.timeIso(),
        lat: e.lat,
        lon: e.lon,
        alt: e.alt,
        speed: e.speed,
        course: e.course,
        quality: e.ggaQuality ?? e.modeQuality ?? 'gps',
        sats: totalSats(e.sats),
        hdop: e.hdop,
        receivedAt: at,
      },
    });
  }
}
