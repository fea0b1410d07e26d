import { uuidv7 } from './ids.ts';
import type { Detection, Read, ReadPosition } from './types.ts';

export interface ReadContext {
  unitId: string;
  operatorId: string | null;
  modelVersion: string;
  /** List name → version of the hot lists the read is matched against. */
  hotlistVersions?: Record<string, number>;
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
    ...(ctx.hotlistVersions ? { hotlistVersions: ctx.hotlistVersions } : {}),
  };
}
