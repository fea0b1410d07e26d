/** The hot-list tests' entries and reads, built one way; each test overrides what it is about. */
import type { Read } from '../../src/domain/types.ts';
import type { HotlistEntry, StoredEntry } from '../../src/hotlist/match.ts';

/** An SVS entry for `plate`: priority 5, case C1, reason stolen, shareable, no expiry. */
export function hotlistEntry(plate: string, over: Partial<HotlistEntry> = {}): HotlistEntry {
  return {
    list: 'SVS',
    plate,
    raw: plate,
    state: null,
    priority: 5,
    caseNumber: 'C1',
    xref: null,
    reason: 'stolen',
    officerName: null,
    officerPhone: null,
    synopsis: null,
    informational: false,
    shareable: true,
    source: null,
    created: 0,
    expires: null,
    ...over,
  };
}

/** `hotlistEntry` as the store gives it back, from version 1 of its list. */
export function storedEntry(plate: string, over: Partial<StoredEntry> = {}): StoredEntry {
  return { listVersion: '1', ...hotlistEntry(plate, over) };
}

/** A front-camera read of `plate` (then `cands`) without a position. */
export function hotlistRead(plate: string, cands: string[] = [], id = `r-${plate}`): Read {
  return {
    id,
    plate,
    confidence: 0.9,
    candidates: [plate, ...cands].map((text) => ({ text, confidence: 0.5 })),
    cameraId: 'front',
    orientation: 'front',
    capturedAt: new Date().toISOString(),
    box: { x: 0, y: 0, w: 10, h: 5 },
    position: { lat: null, lon: null, reason: 'no-gps' },
    operatorId: null,
    unitId: 'unit1',
    modelVersion: 'm',
  };
}
