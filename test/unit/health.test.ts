import { describe, expect, it } from 'vitest';
import { healthSection } from '../../src/config/sections/health.ts';
import { clockVerdict, diskVerdict, parseThermal, temperatureVerdict } from '../../src/health/checks.ts';
import { formatStatus, isStatusView, statusExitCode, statusLine } from '../../src/health/format.ts';
import { ledStates } from '../../src/health/leds.ts';
import {
  foldLights,
  type Lights,
  overallLight,
  shownLight,
  startingLights,
} from '../../src/health/lights.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

describe('system checks (pure)', () => {
  const disk = { amberFreeMb: 2048, redFreeMb: 512 };
  it.each([
    [40 * GB, 64 * GB, 'green', '40 GB free (63 %)'],
    [1.5 * GB, 64 * GB, 'amber', 'disk low: 1.5 GB free (2 %)'],
    [300 * MB, 64 * GB, 'red', 'disk nearly full: 300 MB free (0 %)'],
    [512 * MB, 64 * GB, 'amber', 'disk low: 512 MB free (1 %)'],
  ])('disk %d of %d bytes → %s', (free, total, light, reason) => {
    expect(diskVerdict(free, total, disk)).toEqual({ light, reason });
  });

  const temp = { amberC: 75, redC: 85 };
  it.each([
    [52.4, 'green', '52 °C'],
    [75, 'amber', 'CPU hot: 75 °C'],
    [91, 'red', 'CPU too hot: 91 °C'],
  ])('temperature %d °C → %s', (c, light, reason) => {
    expect(temperatureVerdict(c, temp)).toEqual({ light, reason });
  });

  it.each([
    ['48250\n', 48.25],
    ['61\n', 61],
    ['', null],
    ['garbage', null],
  ])('thermal file %j → %s', (text, c) => {
    expect(parseThermal(text)).toBe(c);
  });

  const clock = { minYear: 2024, maxOffsetS: 2 };
  const now = Date.UTC(2026, 5, 1);
  it.each([
    [Date.UTC(1970, 0, 1, 0, 5), null, 'red', 'clock not set (system year 1970)'],
    [Date.UTC(2023, 11, 31), null, 'red', 'clock not set (system year 2023)'],
    [now, null, 'green', 'clock set (no GPS time to compare)'],
    [now, -400, 'green', 'clock within 0.4 s of GPS time'],
    [now, 12_000, 'red', 'clock 12 s behind GPS time'],
    [now, -2500, 'red', 'clock 2.5 s ahead of GPS time'],
  ])('clock at %d with GPS offset %s → %s', (t, off, light, reason) => {
    expect(clockVerdict(t, off, clock)).toEqual({ light, reason });
  });
});

const all = (light: 'green' | 'amber' | 'red'): Lights => {
  const s = { light, reasons: light === 'green' ? ['ok'] : ['x: y'] };
  return { cameras: s, server: s, gps: s, system: s };
};

describe('a part named once under its light', () => {
  it('keeps a reason that names its component as it is, and names the others', () => {
    const l = foldLights([
      { component: 'camera:rear', light: 'red', reason: 'camera rear: no frame for over 1 min', at: 0 },
      { component: 'camera:side', light: 'amber', reason: 'starting', at: 0 },
    ]);
    expect(l.cameras.reasons).toEqual(['camera rear: no frame for over 1 min', 'camera:side: starting']);
  });
});

describe('lights shown', () => {
  it('overall light is the worst one', () => {
    expect(overallLight(all('green'))).toBe('green');
    expect(overallLight({ ...all('green'), gps: { light: 'amber', reasons: ['gps: no fix'] } })).toBe(
      'amber',
    );
    expect(overallLight({ ...all('amber'), server: { light: 'red', reasons: ['server: down'] } })).toBe(
      'red',
    );
  });

  it('everything is amber while starting, with what is already known', () => {
    const l = startingLights(
      foldLights([
        { component: 'camera:rear', light: 'red', reason: 'no frames for 12 s', at: 0 },
        { component: 'gps', light: 'green', reason: 'fix', at: 0 },
      ]),
    );
    expect(l.cameras).toEqual({
      light: 'amber',
      reasons: ['starting: checking', 'camera:rear: no frames for 12 s'],
    });
    expect(l.gps).toEqual({ light: 'amber', reasons: ['starting: checking'] });
  });

  it('maps lights to LEDs, bi-colour LEDs on for either colour, unmapped lights ignored', () => {
    const lights: Lights = {
      ...all('green'),
      gps: { light: 'amber', reasons: ['gps: no fix'] },
      server: { light: 'red', reasons: ['server: down'] },
    };
    const s = ledStates(lights, {
      cameras: { green: 'cam:g', red: 'cam:r' },
      gps: { green: 'gps:g', amber: 'gps:bi', red: 'gps:bi' },
      server: { green: 'srv:g', amber: 'srv:a', red: 'srv:r' },
    });
    expect(Object.fromEntries(s)).toEqual({
      'cam:g': true,
      'cam:r': false,
      'gps:g': false,
      'gps:bi': true,
      'srv:g': false,
      'srv:a': false,
      'srv:r': true,
    });
  });
});

describe('status output', () => {
  const view = {
    status: 'red' as const,
    phase: 'running',
    lights: {
      ...all('green'),
      cameras: { light: 'red' as const, reasons: ['camera:rear: no frames for 12 s', 'camera:front: 3 fps'] },
    },
    versions: { software: '0.1.0', model: 'ppocr-v4' },
  };

  it('prints one line per light with reasons, and versions', () => {
    const text = formatStatus(view, { color: false });
    expect(text.split('\n')).toEqual([
      'ALPR unit: RED',
      '  cameras  ● RED    camera:rear: no frames for 12 s',
      '                    camera:front: 3 fps',
      '  server   ● GREEN  ok',
      '  gps      ● GREEN  ok',
      '  system   ● GREEN  ok',
      'versions: software 0.1.0, model ppocr-v4',
      '',
    ]);
    expect(text).not.toContain('\x1b[');
    expect(formatStatus(view, { color: true })).toContain('\x1b[31m● RED');
  });

  it('exits 0 only when all four are green', () => {
    expect(statusExitCode(all('green'))).toBe(0);
    expect(statusExitCode(view.lights)).toBe(1);
    expect(statusExitCode(all('amber'))).toBe(1);
  });

  it('gives systemd a one-line STATUS', () => {
    expect(statusLine(view.lights)).toBe('cameras red, server green, gps green, system green');
  });

  it('shows a light with nothing configured behind it as OFF, never green, on every surface', () => {
    const lights = {
      ...all('green'),
      server: { light: 'green' as const, reasons: ['server: not configured'] },
    };
    const text = formatStatus({ status: 'green', lights }, { color: false });
    expect(text.split('\n').slice(0, 5)).toEqual([
      'ALPR unit: GREEN (not configured: server)',
      '  cameras  ● GREEN  ok',
      '  server   ○ OFF    server: not configured',
      '  gps      ● GREEN  ok',
      '  system   ● GREEN  ok',
    ]);
    expect(text).not.toMatch(/GREEN +server: not configured/);
    expect(formatStatus({ status: 'green', lights }, { color: true })).toContain('\x1b[90m○ OFF');
    expect(statusLine(lights)).toBe('cameras green, server off, gps green, system green');
    // no LED lit for it (the page shows it grey); the others as they are
    const leds = ledStates(lights, { server: { green: 'srv:g' }, gps: { green: 'gps:g' } });
    expect(Object.fromEntries(leds)).toEqual({ 'srv:g': false, 'gps:g': true });
    // nothing is failing: the start-of-shift check passes, as the page lets the officer confirm it
    expect(statusExitCode(lights)).toBe(0);
    // a failing part beside an unconfigured one is not hidden
    const mixed = { light: 'red' as const, reasons: ['server: not configured', 'server:roster: no broker'] };
    expect(shownLight(mixed)).toBe('red');
    expect(shownLight({ light: 'green', reasons: ['ok'] })).toBe('green');
  });

  it('recognises a health body', () => {
    expect(isStatusView(view)).toBe(true);
    expect(isStatusView({ lights: { cameras: { light: 'green', reasons: [] } } })).toBe(false);
    expect(isStatusView('ok')).toBe(false);
  });
});

describe('health config section', () => {
  it('has defaults that keep the endpoint on loopback', () => {
    const h = healthSection.parse({});
    expect(h.http).toEqual({ enabled: true, host: '127.0.0.1', port: 8720 });
    expect(h.temperature.path).toBe('/sys/class/thermal/thermal_zone0/temp');
    expect(h.leds).toEqual({ dir: '/sys/class/leds' });
  });

  it.each([
    [{ disk: { amberFreeMb: 100, redFreeMb: 500 } }, 'disk.redFreeMb'],
    [{ temperature: { amberC: 90, redC: 80 } }, 'temperature.redC'],
    [{ leds: { gps: { red: 'bad/name' } } }, 'leds.gps.red'],
    [{ http: { port: 70000 } }, 'http.port'],
    [{ colour: 'x' }, ''],
  ])('rejects %j at %s', (raw, path) => {
    const r = healthSection.safeParse(raw);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path.join('.')).toBe(path);
  });
});
