import { z } from 'zod';
import { alertsSection } from './sections/alerts.ts';
import { camerasSection } from './sections/capture.ts';
import { logSection, pathsSection, unitSection } from './sections/common.ts';
import { gpsSection } from './sections/gps.ts';
import { healthSection } from './sections/health.ts';
import { hotlistSection } from './sections/hotlist.ts';
import { recognizeSection } from './sections/recognize.ts';
import { storeSection } from './sections/store.ts';
import { syncSection } from './sections/sync.ts';
import { telemetrySection } from './sections/telemetry.ts';
import { trackSection } from './sections/track.ts';
import { webSection } from './sections/web.ts';
import { describeValue } from './wording.ts';

export const CONFIG_VERSION = 1;
/** Config format versions this release reads (older ones are migrated when there are any). */
export const SUPPORTED_VERSIONS: readonly number[] = [CONFIG_VERSION];

const versionError = (iss: { input?: unknown }) => {
  const supported = `supported: ${SUPPORTED_VERSIONS.join(', ')}`;
  return iss.input === undefined
    ? `is required (${supported}; e.g. "version: ${CONFIG_VERSION}" on the first line)`
    : `${describeValue(iss.input)} is not a supported config version; ${supported}`;
};

/** The one schema for the unit's YAML config. */
export const configSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION, { error: versionError }).describe('Config format version'),
  unit: unitSection,
  paths: pathsSection,
  log: logSection,
  cameras: camerasSection,
  recognize: recognizeSection,
  track: trackSection.prefault({}),
  gps: gpsSection,
  hotlist: hotlistSection,
  store: storeSection,
  sync: syncSection,
  alerts: alertsSection,
  health: healthSection,
  telemetry: telemetrySection,
  web: webSection,
});

export type Config = z.infer<typeof configSchema>;
export type CameraConfig = Config['cameras'][number];
