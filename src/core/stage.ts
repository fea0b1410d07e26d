/**
 * Uniform lifecycle: constructors only assign; start() opens devices and files, stop() closes them.
 * `critical` stages end the process when they fail to start; others are logged and isolated.
 */
export interface Stage {
  readonly name: string;
  readonly critical: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How the root builds one stage. Name, criticality and light are known before the stage exists,
 * so that a stage whose construction throws (a missing certificate read while wiring it) is still
 * isolated when it is not critical, and its light says why.
 */
export interface StageFactory {
  name: string;
  critical: boolean;
  /** The health component a failure is reported under; its prefix picks the light (health/lights.ts). */
  component: string;
  make: () => Stage | Promise<Stage>;
  /** Called when the stage could not be built or started: the root drops its references to it. */
  failed?: () => void;
  /** false: not started again after a failed start (others hold the instance it made). */
  retry?: boolean;
}

/** A stage the root builds; its name, criticality and light are known before it exists. */
export const factory = (
  name: string,
  critical: boolean,
  component: string,
  make: StageFactory['make'],
  failed?: () => void,
): StageFactory =>
  failed ? { name, critical, component, make, failed } : { name, critical, component, make };

/** A placeholder for a stage the config turns off. */
export function disabledStage(name: string): Stage {
  return { name: `${name} (disabled)`, critical: false, start: async () => {}, stop: async () => {} };
}
