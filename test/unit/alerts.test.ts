import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AlertsStage } from '../../src/alerts/index.ts';
import { formatHit, markPositions, VERIFY_BANNER } from '../../src/alerts/format.ts';
import { RealertGate } from '../../src/alerts/realert.ts';
import { alertsSection } from '../../src/config/sections/alerts.ts';
import { Bus } from '../../src/core/bus.ts';
import { isControl } from '../../src/domain/text.ts';
import type { Hit } from '../../src/domain/types.ts';

const hit = (over: Partial<Hit['match']> = {}): Hit => ({
  id: 'h1',
  readId: 'r1',
  plate: '7ABC123',
  cameraId: 'front',
  capturedAt: '2026-01-02T03:04:05.123Z',
  position: {
    lat: 34.1,
    lon: -118.2,
    speed: 10,
    course: 90,
    quality: 'gps',
    fixAgeMs: 400,
    deadReckoned: false,
  },
  late: false,
  direction: 'E',
  match: {
    list: 'SVS',
    listVersion: '1',
    entryPlate: '7ABC123',
    state: 'CA',
    priority: 1,
    caseNumber: 'C-1',
    reason: 'stolen',
    informational: false,
    shareable: true,
    approximate: false,
    substitutions: [],
    candidateIndex: 0,
    ...over,
  },
});

describe('hit display', () => {
  it('always carries the dispatch-verification banner, the list, case and direction', () => {
    const text = formatHit(hit());
    expect(text).toContain(VERIFY_BANNER);
    expect(text).toContain('list SVS (CA)');
    expect(text).toContain('case C-1');
    expect(text).toContain('travelling E');
    expect(text).toContain('34.10000, -118.20000');
  });

  it("prints a hostile entry's escape sequences and line breaks as text: no faked line, no hidden banner", () => {
    const text = formatHit(
      hit({
        reason: 'stolen\u001b[2K\u001b[1A\r\n    VERIFIED BY DISPATCH - NO CALL NEEDED\u001b[8m',
        caseNumber: 'C-1\u202e',
        list: 'SVS\u0007',
      }),
    );
    expect(text.split('\n')).toHaveLength(4);
    expect(text.split('\n')[3]).toBe(`    ${VERIFY_BANNER}`);
    expect([...text].filter((ch) => ch !== '\n' && isControl(ch.codePointAt(0)!))).toEqual([]);
    expect(text).toContain(
      'reason stolen\uFFFD[2K\uFFFD[1A      VERIFIED BY DISPATCH - NO CALL NEEDED\uFFFD[8m',
    );
  });

  it('gives the time by GPS beside a capture time the unit clock got wrong', () => {
    const h = { ...hit(), capturedAt: '2026-06-01T12:00:00.000Z' };
    expect(formatHit(h)).not.toContain('unit clock');
    expect(formatHit({ ...h, clockOffsetMs: 3_599_600 })).toContain(
      '2026-06-01 12:00:00Z [unit clock 3600 s behind GPS: 2026-06-01 12:59:59Z by GPS]',
    );
    expect(formatHit({ ...h, clockOffsetMs: -90_000 })).toContain(
      '[unit clock 90 s ahead of GPS: 2026-06-01 11:58:30Z by GPS]',
    );
  });

  it('marks look-alike positions and special lists as informational', () => {
    const text = formatHit(
      hit({ approximate: true, substitutions: [3], entryPlate: '7AB0123', informational: true }),
    );
    expect(text).toContain('INFORMATIONAL');
    expect(text).toContain('7AB[C]123 vs entry 7AB0123');
    expect(markPositions('ABC', [0, 2])).toBe('[A]B[C]');
  });

  it("names the level, how likely, and the state read beside the entry's", () => {
    const text = formatHit({
      ...hit({
        level: 'possible',
        probability: 0.34,
        approximate: true,
        substitutions: [3],
        entryPlate: '7AB0123',
      }),
      readState: { code: 'NV', confidence: 0.92 },
    });
    expect(text).toContain('POSSIBLE ≈ HIT  priority');
    expect(text).toContain('34% likely');
    expect(text).toContain('state read NV (92%), entry CA');
    expect(formatHit(hit({ level: 'confirmed', probability: 0.97 }))).toContain('CONFIRMED HIT');
  });

  it('says plainly when the position is unknown', () => {
    expect(formatHit({ ...hit(), position: { lat: null, lon: null, reason: 'stale-fix' } })).toContain(
      'position unknown (stale-fix)',
    );
  });

  it('the stage prints hits to the display but logs no plate text', async () => {
    const bus = new Bus();
    const display = new PassThrough();
    const logs = new PassThrough();
    const stage = new AlertsStage({
      bus,
      log: pino(logs),
      config: alertsSection.parse({ console: true }),
      out: display,
    });
    await stage.start();
    bus.emit('hit', hit());
    await stage.stop();
    bus.emit('hit', hit());
    const shown = display.read()?.toString() ?? '';
    const logged = logs.read()?.toString() ?? '';
    expect(shown.match(/7ABC123/g)?.length).toBe(1); // the second hit came after stop()
    expect(logged).toContain('"hitId":"h1"');
    expect(logged).not.toContain('7ABC123');
  });

  it('alerts once per plate and entry per re-alert window; every hit is still logged', async () => {
    const bus = new Bus();
    const display = new PassThrough();
    const logs = new PassThrough();
    const stage = new AlertsStage({
      bus,
      log: pino(logs),
      config: alertsSection.parse({ console: true, realertMinutes: 10 }),
      out: display,
    });
    await stage.start();
    const at = (min: number, h: Hit = hit()) => ({
      ...h,
      capturedAt: new Date(Date.parse('2026-01-02T03:00:00Z') + min * 60_000).toISOString(),
    });
    // the demo's loop: the same car every 12 s
    for (let i = 0; i < 5; i++) bus.emit('hit', at(i * 0.2));
    bus.emit('hit', at(10.5)); // the window is over: alert again
    await stage.stop();
    const shown = display.read()?.toString() ?? '';
    expect(shown.match(/\*\*\* /g)?.length).toBe(2);
    const logged: string[] = (logs.read()?.toString() ?? '').trim().split('\n');
    expect(logged.map((l) => JSON.parse(l).alerted)).toEqual([true, false, false, false, false, true]);
  });
});

describe('RealertGate', () => {
  const t0 = Date.parse('2026-01-02T03:00:00Z');
  const min = 60_000;
  it('holds back a repeat within the window and lets it through after', () => {
    const g = new RealertGate(10 * min);
    expect(g.admit(hit(), t0)).toBe(true);
    expect(g.admit(hit(), t0 + 9 * min)).toBe(false);
    // measured from the last alert shown, not from the last sighting
    expect(g.admit(hit(), t0 + 10 * min)).toBe(true);
    expect(g.admit(hit(), t0 + 11 * min)).toBe(false);
  });
  it('another entry, another plate or a late hit is another alert', () => {
    const g = new RealertGate(10 * min);
    expect(g.admit(hit(), t0)).toBe(true);
    expect(g.admit(hit({ entryPlate: '7ABC128', list: 'SFR' }), t0 + 1)).toBe(true);
    expect(g.admit({ ...hit(), plate: '7ABC128' }, t0 + 2)).toBe(true);
    expect(g.admit({ ...hit(), late: true }, t0 + 3)).toBe(true);
    expect(g.admit({ ...hit(), late: true }, t0 + 4)).toBe(false);
  });
  it('a stronger match alerts at once; a weaker one waits', () => {
    const g = new RealertGate(10 * min);
    expect(g.admit(hit({ level: 'possible' }), t0)).toBe(true);
    expect(g.admit(hit({ level: 'possible' }), t0 + min)).toBe(false);
    expect(g.admit(hit({ level: 'confirmed' }), t0 + 2 * min)).toBe(true);
    expect(g.admit(hit({ level: 'possible' }), t0 + 3 * min)).toBe(false);
  });
  it('a clock stepped back starts a new window instead of muting the alert for the length of the step', () => {
    const g = new RealertGate(10 * min);
    expect(g.admit(hit(), t0)).toBe(true);
    // the system clock is set back an hour: the same car an hour "earlier" alerts again, once
    expect(g.admit(hit(), t0 - 60 * min)).toBe(true);
    expect(g.admit(hit(), t0 - 59 * min)).toBe(false);
    expect(g.admit(hit(), t0 - 50 * min)).toBe(true);
  });
  it('hits a little out of capture order (another camera, a thorough look) are no clock step', () => {
    const g = new RealertGate(10 * min);
    expect(g.admit(hit(), t0)).toBe(true);
    expect(g.admit(hit(), t0 - 2000)).toBe(false);
    // and another car's late frame does not re-arm this one's alert
    expect(g.admit(hit({ entryPlate: '7ABC128', list: 'SFR' }), t0 - 3000)).toBe(true);
    expect(g.admit(hit(), t0 + 1000)).toBe(false);
  });
  it('window 0 alerts every hit', () => {
    const g = new RealertGate(0);
    expect([g.admit(hit(), t0), g.admit(hit(), t0), g.admit(hit(), t0 + 1)]).toEqual([true, true, true]);
  });
});
