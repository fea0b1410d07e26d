import type {
  Box,
  Detection,
  Fix,
  Frame,
  FrameMeta,
  FrameResult,
  HealthReport,
  Hit,
  PlateState,
  Read,
} from './types.ts';

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
  /**
   * recognize → track: the frame a thorough look starts on, a second or more after it was read
   * live (its thorough frameResult follows); held like `recognizing`, for the detection's images.
   */
  looking: Frame;
  /**
   * recognize → track: the state read, in spare time, from the legend around one plate of a frame
   * the screen read surely without one (the legend look); it joins that plate's vehicle.
   */
  plateState: PlateStateLook;
}

export interface PlateStateLook {
  frame: FrameMeta;
  /** The plate's box and text on that frame, as the screen read them. */
  box: Box;
  text: string;
  state: PlateState;
}

export type BusEventName = keyof BusEvents;
