import { uuidv7 } from './ids.ts';
import type { CtcEvidence, Detection, Read, ReadPosition } from './types.ts';

export interface ReadContext {
  unitId: string;
  operatorId: string | null;
  modelVersion: string;
  /** List name → version of the hot lists the read is matched against. */
  hotlistVersions?: Record<string, number>;
  /** clockMark's mark for the moment of capture, or null. */
  clockOffsetMs?: number | null;
}

/**
 * Whether the system clock may date evidence for its purge at the hard maximum: on a unit with a
 * receiver, only while a recent timed fix agrees with it within `maxOffsetS`.
 */
export function clockConfirmed(
  gpsType: 'none' | 'replay' | 'serial' | 'gpsd',
  gpsOffsetMs: number | null,
  maxOffsetS: number,
): boolean {
  // without a receiver (or with a replayed log) nothing can check the clock: it is taken as it is
  if (gpsType === 'none' || gpsType === 'replay') return true;
  return gpsOffsetMs !== null && Number.isFinite(gpsOffsetMs) && clockMark(gpsOffsetMs, maxOffsetS) === null;
}

/**
 * The mark a read carries when the system clock that stamps it disagrees with GPS time by
 * `maxOffsetS` or more (the same limit turns the clock light red): GPS time minus the system
 * clock in whole ms, or null when they agree or no timed fix tells.
 */
export function clockMark(gpsOffsetMs: number | null, maxOffsetS: number): number | null {
  if (gpsOffsetMs === null || !Number.isFinite(gpsOffsetMs)) return null;
  return Math.abs(gpsOffsetMs) >= maxOffsetS * 1000 ? Math.round(gpsOffsetMs) : null;
}

/** Turns a settled detection plus the position at capture time into the record the unit keeps. */
export function buildRead(det: Detection, position: ReadPosition, ctx: ReadContext): Read {
  const { reading, frame } = det;
  return {
    id: uuidv7(frame.capturedAt),
    plate: reading.text,
    confidence: reading.confidence,
    candidates: reading.candidates,
    cameraId: frame.cameraId,
    orientation: frame.orientation,
    capturedAt: new Date(frame.capturedAt).toISOString(),
    box: reading.box,
    position,
    operatorId: ctx.operatorId,
    unitId: ctx.unitId,
    modelVersion: ctx.modelVersion,
    ...(reading.state ? { state: reading.state } : {}),
    ...(ctx.hotlistVersions ? { hotlistVersions: ctx.hotlistVersions } : {}),
    ...(ctx.clockOffsetMs != null ? { clockOffsetMs: ctx.clockOffsetMs } : {}),
  };
}

/**
 * The CTC outputs behind a read, kept beside it (never in it: the read is stored and synced, the
 * outputs are a few kB of model internals) for as long as the read object lives, so the hot list
 * can score entries against them, late re-checks included.
 */
const EVIDENCE = new WeakMap<Read, CtcEvidence[][]>();

export function attachEvidence(read: Read, frames: CtcEvidence[][]): void {
  if (frames.some((f) => f.length > 0)) EVIDENCE.set(read, frames);
}

export function evidenceOf(read: Read): CtcEvidence[][] {
  return EVIDENCE.get(read) ?? [];
}
