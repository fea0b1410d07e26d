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
