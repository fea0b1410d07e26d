/**
 * The mid-shift status the main screen shows (policy: check once a shift that reads upload and the
 * hot lists are current): each light with the reports behind it, every hot list's version and
 * age against its limit, and the last upload the server acknowledged. Pure.
 */
import { isNotConfigured, NOT_CONFIGURED, partReason } from '../domain/lights.ts';
import type { Light } from '../domain/types.ts';
import type { LightsView } from './views.ts';

/** One component's latest report, under the light it folds into (the root maps them). */
export interface LightPart {
  component: string;
  light: Light;
  reason: string;
}

/** A loaded hot list as the root describes it; `maxAgeMs` null for lists with no age limit. */
export interface HotlistAge {
  name: string;
  version: number;
  issuedAt: number;
  entries: number;
  maxAgeMs: number | null;
}

/** The upload queue; null from the callback when the unit has no server link configured. */
export interface UploadState {
  depth: number;
  lastAckedAt: number | null;
}

export interface StatusLight {
  /** grey: nothing configured behind this light (it is neither working nor failing). */
  light: Light | 'grey';
  words: string;
  /** Each component's report, with `words`: its line as shown (partReason: its name said once). */
  parts: (LightPart & { words: string })[];
}

export interface StatusView {
  at: number;
  lights: Record<string, StatusLight>;
  hotlists: (HotlistAge & { ageMs: number; stale: boolean })[];
  upload: { configured: false } | ({ configured: true } & UploadState);
}

/**
 * What a light with nothing configured behind it means for the officer, under its grey NOT
 * CONFIGURED (the summary says that much already).
 */
const UNCONFIGURED_WORDS: Readonly<Record<string, string>> = {
  server: 'no server link is set up: reads and hits stay on this unit',
  gps: 'no GPS receiver is set up: reads carry no position',
};

export function statusView(
  lights: LightsView,
  parts: Readonly<Record<string, readonly LightPart[]>>,
  lists: readonly HotlistAge[],
  upload: UploadState | null,
  now: number,
): StatusView {
  const out: Record<string, StatusLight> = {};
  for (const [name, l] of Object.entries(lights)) {
    const mine = [...(parts[name] ?? [])].sort((a, b) => a.component.localeCompare(b.component));
    const unconfigured = isNotConfigured(l.reasons);
    const words = unconfigured
      ? (UNCONFIGURED_WORDS[name] ?? NOT_CONFIGURED)
      : l.light === 'green'
        ? mine.length
          ? mine.map(partReason).join('; ')
          : 'working'
        : l.reasons.join('; ');
    out[name] = {
      light: unconfigured ? 'grey' : l.light,
      words,
      parts: mine.map((p) => ({ ...p, words: partReason(p) })),
    };
  }
  return {
    at: now,
    lights: out,
    hotlists: lists.map((h) => {
      const ageMs = Math.max(0, now - h.issuedAt);
      return { ...h, ageMs, stale: h.maxAgeMs !== null && ageMs > h.maxAgeMs };
    }),
    upload: upload ? { configured: true, ...upload } : { configured: false },
  };
}
