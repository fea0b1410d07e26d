/** What the page is sent: slim views of reads and hits (no more personal data than it shows). */
import { VERIFY_BANNER } from '../domain/policy.ts';
import type { Hit, Light, Read } from '../domain/types.ts';
import type { HitState } from './hit-state.ts';

/** The four lights as the health stage shows them (structurally the same type). */
export type LightsView = Record<string, { light: Light; reasons: string[] }>;

export interface ReadView {
  id: string;
  plate: string;
  confidence: number;
  cameraId: string;
  capturedAt: string;
  lat: number | null;
  lon: number | null;
  operatorId: string | null;
  /** The state read on the plate, when one was read. */
  state: string | null;
}

/** A hit as the page shows it: the hit's own identity, time and place, and what the page needs. */
export interface HitView
  extends Pick<Hit, 'id' | 'readId' | 'plate' | 'cameraId' | 'capturedAt' | 'position'> {
  direction: string | null;
  late: boolean;
  list: string;
  state: string | null;
  entryPlate: string;
  priority: number;
  caseNumber: string | null;
  reason: string | null;
  informational: boolean;
  approximate: boolean;
  substitutions: number[];
  /** confirmed / possible (≈); null on hits from before levels existed. */
  level: 'confirmed' | 'possible' | null;
  /** The entry text's probability for the read, 0..1. */
  probability: number | null;
  /** The state read on the plate (USPS code and confidence), when one was read. */
  readState: { code: string; confidence: number } | null;
  banner: string;
  handling: {
    state: HitState;
    by: string | null;
    at: number | null;
    reason: string | null;
    note: string | null;
  };
}

export function readView(r: Read): ReadView {
  return {
    id: r.id,
    plate: r.plate,
    confidence: r.confidence,
    cameraId: r.cameraId,
    capturedAt: r.capturedAt,
    lat: r.position.lat,
    lon: r.position.lon,
    operatorId: r.operatorId,
    state: r.state?.code ?? null,
  };
}

export function hitView(h: Hit, handling: HitView['handling']): HitView {
  const m = h.match;
  return {
    id: h.id,
    readId: h.readId,
    plate: h.plate,
    cameraId: h.cameraId,
    capturedAt: h.capturedAt,
    position: h.position,
    direction: h.direction,
    late: h.late,
    list: m.list,
    state: m.state,
    entryPlate: m.entryPlate,
    priority: m.priority,
    caseNumber: m.caseNumber,
    reason: m.reason,
    informational: m.informational,
    approximate: m.approximate,
    substitutions: m.substitutions,
    level: m.level ?? null,
    probability: m.probability ?? null,
    readState: h.readState ?? null,
    banner: VERIFY_BANNER,
    handling,
  };
}

export function allGreen(l: LightsView): boolean {
  return Object.values(l).every((s) => s.light === 'green');
}
