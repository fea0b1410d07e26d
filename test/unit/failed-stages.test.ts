import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailedStages } from '../../src/core/failed-stages.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { foldLights, lightOf } from '../../src/health/lights.ts';

describe('FailedStages', () => {
  afterEach(() => vi.useRealTimers());

  it('reports a failure at once and again every interval, newly stamped, until stopped', () => {
    vi.useFakeTimers();
    let now = 1000;
    const got: HealthReport[] = [];
    const f = new FailedStages(
      (r) => got.push(r),
      30_000,
      () => now,
    );
    f.add('server', 'sync failed to start: cannot read secret "ca.crt" in /creds');
    expect(got).toEqual([
      {
        component: 'server',
        light: 'red',
        reason: 'sync failed to start: cannot read secret "ca.crt" in /creds',
        at: 1000,
      },
    ]);
    f.start();
    now = 31_000;
    vi.advanceTimersByTime(30_000);
    expect(got).toHaveLength(2);
    expect(got[1]).toMatchObject({ component: 'server', light: 'red', at: 31_000 });
    expect(got[1]!.reason).toBe(got[0]!.reason);
    f.stop();
    vi.advanceTimersByTime(120_000);
    expect(got).toHaveLength(2);
  });

  it('a new failure of a component replaces its earlier one; a stage that started is no longer said', () => {
    vi.useFakeTimers();
    const got: HealthReport[] = [];
    const f = new FailedStages((r) => got.push(r), 1000);
    f.add('server', 'sync failed to start: cannot read secret "ca.crt"');
    f.add('web', 'web failed to start: listen EADDRINUSE');
    f.add('server', 'sync failed to start: cannot read secret "client.key"');
    f.start();
    got.length = 0;
    vi.advanceTimersByTime(1000);
    expect(got.map((r) => r.reason).sort()).toEqual([
      'sync failed to start: cannot read secret "client.key"',
      'web failed to start: listen EADDRINUSE',
    ]);
    expect(f.remove('web')?.reason).toBe('web failed to start: listen EADDRINUSE');
    expect(f.remove('web')).toBeNull();
    got.length = 0;
    vi.advanceTimersByTime(1000);
    expect(got.map((r) => r.component)).toEqual(['server']);
    f.stop();
    f.start();
    vi.advanceTimersByTime(5000);
    expect(got).toHaveLength(1);
  });

  it('without failures no timer runs', () => {
    vi.useFakeTimers();
    const got: HealthReport[] = [];
    const f = new FailedStages((r) => got.push(r), 10);
    f.start();
    vi.advanceTimersByTime(1000);
    expect(got).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('server light parts', () => {
  it('a roster or hot-list sync failure shows on the server light beside the upload link', () => {
    expect(lightOf('server:roster-sync')).toBe('server');
    expect(lightOf('server:hotlist-sync')).toBe('server');
    const lights = foldLights([
      { component: 'server', light: 'green', reason: 'connected', at: 1 },
      { component: 'server:roster-sync', light: 'red', reason: 'roster-sync failed to start: x', at: 1 },
    ]);
    expect(lights.server).toEqual({
      light: 'red',
      reasons: ['server:roster-sync: roster-sync failed to start: x'],
    });
    expect(lights.system.reasons).not.toContain('server:roster-sync: roster-sync failed to start: x');
  });
});
