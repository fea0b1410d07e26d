/**
 * The cameras line of `alpr status`: frames per second each camera delivers and how many of them
 * recognition reads (the rest are dropped, newest kept), so a technician sees a starved camera.
 */

/** What the health stage needs of a camera (the root maps capture's stats onto it). */
export interface CameraRate {
  id: string;
  fpsIn: number;
  fpsProcessed: number;
}

/** Whether a parsed `cameras` section looks like ours (an older daemon sends none). */
export function isCameraRates(x: unknown): x is CameraRate[] {
  return (
    Array.isArray(x) &&
    x.every(
      (c) =>
        !!c &&
        typeof (c as CameraRate).id === 'string' &&
        typeof (c as CameraRate).fpsIn === 'number' &&
        typeof (c as CameraRate).fpsProcessed === 'number',
    )
  );
}

/** "cameras: front 15.0 fps in, 2.7 read · rear 15.0 fps in, 2.7 read". */
export function formatCameras(cams: readonly CameraRate[]): string {
  if (cams.length === 0) return 'cameras: none configured';
  const one = (c: CameraRate) => `${c.id} ${c.fpsIn.toFixed(1)} fps in, ${c.fpsProcessed.toFixed(1)} read`;
  return `cameras: ${cams.map(one).join(' · ')}`;
}
