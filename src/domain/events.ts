import type { Detection, Fix, Frame, FrameResult, HealthReport, Hit, Read } from './types.ts';

/** Every event that crosses a stage boundary, with its payload. */
export interface BusEvents {
  /** capture → recognize */
  frame: Frame;
  /** recognize → (root builds reads) */
  frameResult: FrameResult;
  /** track → root: one plate of one vehicle, settled */
  detection: Detection;
  /** a detection, with position: → store, hotlist, sync */
  read: Read;
  /** hotlist → alerts, store, sync */
  hit: Hit;
  /** gps → anyone who wants the live fix */
  fix: Fix;
  /** any stage → health */
  health: HealthReport;
  /**
   * recognize → track: the frame whose reading starts now (its frameResult follows). The track
   * stage holds it to cut the detection's images from, however late the result comes.
   */
  recognizing: Frame;
}

export type BusEventName = keyof BusEvents;
