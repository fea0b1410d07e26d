import { isNotConfigured, NOT_CONFIGURED, partReason } from '../domain/lights.ts';
import type { HealthReport, Light } from '../domain/types.ts';

/** The four lights an officer checks at the start of a shift. */
export type LightName = 'cameras' | 'server' | 'gps' | 'system';
export const LIGHT_NAMES: readonly LightName[] = ['cameras', 'server', 'gps', 'system'];

export interface LightState {
  light: Light;
  /** Every non-green component's reason, worst first; "ok" when green. */
  reasons: string[];
}

export type Lights = Record<LightName, LightState>;

/**
 * Which light a component reports into: `camera:front` → cameras, `gps` → gps, the rest → system.
 * `server:<stage>` is a part of the server link (roster or hot-list sync) that reports on its own,
 * so a failure there is not overwritten by the upload link's green.
 */
export function lightOf(component: string): LightName {
  if (component.startsWith('camera')) return 'cameras';
  if (component === 'server' || component === 'sync' || component.startsWith('server:')) return 'server';
  if (component === 'gps') return 'gps';
  return 'system';
}

const RANK: Record<Light, number> = { green: 0, amber: 1, red: 2 };

/**
 * Folds the latest report of every component into the four lights: a light is as bad as its worst
 * component. A light nobody has reported into is amber ("not reported yet"), never green by default.
 */
export function foldLights(
  latest: Iterable<HealthReport>,
  expected: Partial<Record<LightName, boolean>> = {},
): Lights {
  const out = {} as Lights;
  const byLight = new Map<LightName, HealthReport[]>();
  for (const r of latest) {
    const name = lightOf(r.component);
    const list = byLight.get(name) ?? [];
    list.push(r);
    byLight.set(name, list);
  }
  for (const name of LIGHT_NAMES) {
    const reports = byLight.get(name) ?? [];
    if (reports.length === 0) {
      const needed = expected[name] ?? true;
      out[name] = needed
        ? { light: 'amber', reasons: [`${name}: not reported yet`] }
        : { light: 'green', reasons: [`${name}: ${NOT_CONFIGURED}`] };
      continue;
    }
    reports.sort((a, b) => RANK[b.light] - RANK[a.light] || a.component.localeCompare(b.component));
    const worst = reports[0]!.light;
    const bad = reports.filter((r) => r.light !== 'green').map(partReason);
    out[name] = { light: worst, reasons: bad.length ? bad : ['ok'] };
  }
  return out;
}

/**
 * A light with nothing configured behind it keeps `green` in the data (nothing is failing: the
 * start-of-shift check can pass) but is shown as `off`, never as green.
 */
export type ShownLight = Light | 'off';

export function shownLight(l: LightState): ShownLight {
  return l.light === 'green' && isNotConfigured(l.reasons) ? 'off' : l.light;
}

/** The worst of the four lights: green only when all four are green. */
export function overallLight(lights: Lights): Light {
  let worst: Light = 'green';
  for (const name of LIGHT_NAMES) if (RANK[lights[name].light] > RANK[worst]) worst = lights[name].light;
  return worst;
}

/**
 * What the lights show while the unit is still starting: every light amber ("checking"), with
 * whatever is already known after it, so an officer never reads a green before start-up is done.
 */
export function startingLights(lights: Lights): Lights {
  const out = {} as Lights;
  for (const name of LIGHT_NAMES) {
    const known = lights[name].reasons.filter((r) => r !== 'ok');
    out[name] = { light: 'amber', reasons: ['starting: checking', ...known] };
  }
  return out;
}
