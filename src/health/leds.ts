/**
 * Physical lights through Linux's LED class: /sys/class/leds/<name>/brightness. Which LED shows
 * which colour of which light is config; tests point `dir` at a fake folder of the same shape.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Light } from '../domain/types.ts';
import { LIGHT_NAMES, type LightName, type Lights, shownLight } from './lights.ts';

export type LedSet = Partial<Record<Light, string | undefined>>;
export type LedMap = Partial<Record<LightName, LedSet | undefined>>;

/**
 * Whether each mapped LED is on for these lights. An LED named for two colours (a bi-colour part)
 * is on when either is showing; every mapped LED appears, so stale ones are switched off. A light
 * with nothing configured behind it lights none of its LEDs (the page shows it grey).
 */
export function ledStates(lights: Lights, map: LedMap): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const name of LIGHT_NAMES) {
    const set = map[name];
    if (!set) continue;
    for (const colour of ['green', 'amber', 'red'] as const) {
      const led = set[colour];
      if (!led) continue;
      out.set(led, (out.get(led) ?? false) || shownLight(lights[name]) === colour);
    }
  }
  return out;
}

/** Writes LED brightness files, only when a value changes; remembers each LED's max_brightness. */
export class LedWriter {
  private readonly last = new Map<string, boolean>();
  private readonly max = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly map: LedMap,
    private readonly onError: (led: string, err: unknown) => void = () => {},
  ) {}

  /** True when any LED is mapped at all. */
  get enabled(): boolean {
    return LIGHT_NAMES.some((n) => this.map[n]);
  }

  async show(lights: Lights): Promise<void> {
    for (const [led, on] of ledStates(lights, this.map)) {
      if (this.last.get(led) === on) continue;
      try {
        await writeFile(join(this.dir, led, 'brightness'), on ? await this.maxOf(led) : '0');
        this.last.set(led, on);
      } catch (err) {
        this.onError(led, err);
      }
    }
  }

  /** All mapped LEDs off (on stop: a dark panel means the daemon is not running). */
  async off(): Promise<void> {
    for (const led of ledStates(LIGHTS_OFF, this.map).keys()) {
      try {
        await writeFile(join(this.dir, led, 'brightness'), '0');
        this.last.set(led, false);
      } catch (err) {
        this.onError(led, err);
      }
    }
  }

  private async maxOf(led: string): Promise<string> {
    let m = this.max.get(led);
    if (m === undefined) {
      m = await readFile(join(this.dir, led, 'max_brightness'), 'utf8').then(
        (t) => (/^\d+$/.test(t.trim()) && t.trim() !== '0' ? t.trim() : '1'),
        () => '1',
      );
      this.max.set(led, m);
    }
    return m;
  }
}

const off = { light: 'green' as const, reasons: [] };
/** Placeholder lights used only to enumerate mapped LED names. */
const LIGHTS_OFF: Lights = { cameras: off, server: off, gps: off, system: off };
