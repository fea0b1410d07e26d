/** Plain-text rendering of the health body for `alpr status` (pure; colour is optional). */
import type { Light } from '../domain/types.ts';
import { LIGHT_NAMES, type Lights, type ShownLight, shownLight } from './lights.ts';
import { formatCameras, isCameraRates } from './cameras.ts';
import { formatUpload, isUploadBody } from './upload.ts';

const COLOUR: Record<ShownLight, string> = {
  green: '\x1b[32m',
  amber: '\x1b[33m',
  red: '\x1b[31m',
  off: '\x1b[90m',
};
/** ○ for a light with nothing configured behind it, as on the page. */
const ICON: Record<ShownLight, string> = { green: '●', amber: '●', red: '●', off: '○' };
const RESET = '\x1b[0m';

export interface StatusView {
  status: Light;
  phase?: string;
  lights: Lights;
  versions?: Record<string, string>;
  /** The outbox (`UploadBody`); null or absent without a server link or from an older daemon. */
  upload?: unknown;
  /** Per-camera fps in and read (`CameraRate[]`); null or absent without cameras or from an older daemon. */
  cameras?: unknown;
  /** Standing warnings (keys not sealed); absent from an older daemon. */
  warnings?: unknown;
}

function paint(light: ShownLight, text: string, color: boolean): string {
  return color ? `${COLOUR[light]}${text}${RESET}` : text;
}

/** Four lines (one per light) with their reasons, a headline, the cameras and upload lines and the versions. */
export function formatStatus(view: StatusView, opts: { color: boolean; timeZone?: string }): string {
  const off = LIGHT_NAMES.filter((n) => shownLight(view.lights[n]) === 'off');
  const head = `ALPR unit: ${paint(view.status, view.status.toUpperCase(), opts.color)}${
    view.phase === 'starting' ? ' (starting up: checking)' : ''
  }${off.length ? ` (not configured: ${off.join(', ')})` : ''}`;
  const lines = [head];
  for (const name of LIGHT_NAMES) {
    const l = view.lights[name];
    const shown = shownLight(l);
    const word = paint(shown, `${ICON[shown]} ${shown.toUpperCase().padEnd(5)}`, opts.color);
    const [first = '', ...rest] = l.reasons;
    lines.push(`  ${name.padEnd(8)} ${word}  ${first}`);
    for (const r of rest) lines.push(`  ${' '.repeat(8)} ${' '.repeat(7)}  ${r}`);
  }
  if (isCameraRates(view.cameras)) lines.push(formatCameras(view.cameras));
  if (isUploadBody(view.upload)) lines.push(formatUpload(view.upload, opts));
  const v = Object.entries(view.versions ?? {});
  if (v.length) lines.push(`versions: ${v.map(([k, x]) => `${k} ${x}`).join(', ')}`);
  const warnings = Array.isArray(view.warnings) ? view.warnings.filter((w) => typeof w === 'string') : [];
  for (const w of warnings) lines.push(paint('amber', `!! WARNING: ${w}`, opts.color));
  return `${lines.join('\n')}\n`;
}

/**
 * Exit code of `alpr status`: 0 only when all four lights are green, a light with nothing configured
 * behind it (shown OFF) included, as the page lets the officer confirm the start-of-shift check.
 */
export function statusExitCode(lights: Lights): 0 | 1 {
  return LIGHT_NAMES.every((n) => lights[n].light === 'green') ? 0 : 1;
}

/** Whether a parsed JSON body looks like our health body (a foreign server on the port is not). */
export function isStatusView(x: unknown): x is StatusView {
  if (!x || typeof x !== 'object') return false;
  const lights = (x as { lights?: unknown }).lights;
  if (!lights || typeof lights !== 'object') return false;
  return LIGHT_NAMES.every((n) => {
    const l = (lights as Record<string, { light?: unknown; reasons?: unknown }>)[n];
    return !!l && ['green', 'amber', 'red'].includes(l.light as string) && Array.isArray(l.reasons);
  });
}

/** One line for systemd's STATUS= (shown by `systemctl status alpr`): `server off` when not configured. */
export function statusLine(lights: Lights): string {
  return LIGHT_NAMES.map((n) => `${n} ${shownLight(lights[n])}`).join(', ');
}
