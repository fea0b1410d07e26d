/**
 * A capture stage on a bus that records what it says (frames, health reports), for the capture
 * tests; and a poll-until helper for the real cameras they drive.
 */
import { pino } from 'pino';
import { CaptureStage, type CaptureStageDeps } from '../../src/capture/index.ts';
import type { CameraConfig } from '../../src/config/schema.ts';
import { cameraSchema } from '../../src/config/sections/capture.ts';
import { Bus } from '../../src/core/bus.ts';
import type { Frame, HealthReport } from '../../src/domain/types.ts';

/** A camera's config from its raw YAML shape (the schema's defaults filled in); `orientation` if not given. */
export function cameraConfig(raw: object, orientation: 'front' | 'rear' = 'rear'): CameraConfig {
  return cameraSchema.parse({ orientation, ...raw });
}

export interface CaptureHarness {
  bus: Bus;
  stage: CaptureStage;
  frames: Frame[];
  health: HealthReport[];
  /** The health reports of camera `id`, in order. */
  lights(id: string): HealthReport[];
  /** The last health report of camera `id`. */
  light(id: string): HealthReport | undefined;
  /** Frames received from camera `id`. */
  count(id: string): number;
}

/**
 * A capture stage over `cameras` (silent log unless given). Its bus throws what a handler throws,
 * unless a bus is given.
 */
export function captureHarness(
  deps: Omit<CaptureStageDeps, 'bus' | 'log'> & Partial<Pick<CaptureStageDeps, 'bus' | 'log'>>,
): CaptureHarness {
  const bus =
    deps.bus ??
    new Bus((_e, err) => {
      throw err;
    });
  const frames: Frame[] = [];
  const health: HealthReport[] = [];
  bus.on('frame', (f) => frames.push(f));
  bus.on('health', (h) => health.push(h));
  const stage = new CaptureStage({ ...deps, bus, log: deps.log ?? pino({ level: 'silent' }) });
  const lights = (id: string) => health.filter((h) => h.component === `camera:${id}`);
  return {
    bus,
    stage,
    frames,
    health,
    lights,
    light: (id) => lights(id).at(-1),
    count: (id) => frames.filter((f) => f.cameraId === id).length,
  };
}

/** Polls `ok` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
