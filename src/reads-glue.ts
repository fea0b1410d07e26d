/**
 * Glue owned by the composition root (src/daemon.ts): a settled detection + the position at
 * capture time = a read, stored with its hits in one transaction; its plate crop and overview
 * image go to the store beside it. Stages never see each other through it.
 */
import type { Bus } from './core/bus.ts';
import type { Stage } from './core/stage.ts';
import { attachEvidence, buildRead } from './domain/read.ts';
import type { ReadPosition } from './domain/types.ts';
import type { GpsStage } from './gps/index.ts';
import type { StoreStage } from './store/index.ts';

export function readsGlue(
  bus: Bus,
  unitId: string,
  gps: () => GpsStage | null,
  operator: () => string | null,
  store: () => StoreStage,
  modelVersion: () => string,
  hotlistVersions: () => Record<string, number>,
  /** The clock's mark for a read captured now (domain/read.ts clockMark), or null. */
  clockOffset: () => number | null = () => null,
): Stage {
  let off: (() => void) | null = null;
  return {
    name: 'reads',
    critical: true,
    start: async () => {
      off = bus.on('detection', (det) => {
        const g = gps();
        const position: ReadPosition = g
          ? g.position(det.frame.capturedAt)
          : { lat: null, lon: null, reason: 'no-gps' };
        const read = buildRead(det, position, {
          unitId,
          operatorId: operator(),
          modelVersion: modelVersion(),
          hotlistVersions: hotlistVersions(),
          clockOffsetMs: clockOffset(),
        });
        // The hot list raises hits while the read is announced: the store keeps the read and
        // those hits in one transaction (never one without the other after a crash).
        attachEvidence(read, det.evidence ?? [det.reading.evidence ?? []]);
        store().putReadWithHits(read, () => bus.emit('read', read));
        if (det.plateJpeg) store().putImage(read.id, 'plate', det.plateJpeg);
        if (det.overviewJpeg) store().putImage(read.id, 'overview', det.overviewJpeg);
      });
    },
    stop: async () => off?.(),
  };
}
