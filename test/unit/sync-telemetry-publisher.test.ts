import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealthSnapshot, TelemetryPort } from '../../src/domain/ports.ts';
import { HEALTH_MIN_GAP_MS, TelemetryPublisher } from '../../src/sync/telemetry.ts';
import { captureLog } from '../helpers/sync-fixtures.ts';

function fakePort() {
  const listeners = new Set<() => void>();
  let status: HealthSnapshot['status'] = 'amber';
  const port: TelemetryPort = {
    health: () => ({ status, phase: 'running', lights: {} }),
    onHealthChange: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    heartbeat: () => ({
      versions: { software: 's', model: 'm' },
      hotlists: [],
      uptimeS: 1,
      cameras: [],
      diskFreeMb: null,
      cpuTempC: null,
      lastSelftest: null,
    }),
  };
  return {
    port,
    listeners,
    change(s: HealthSnapshot['status']) {
      status = s;
      for (const fn of listeners) fn();
    },
  };
}

describe('TelemetryPublisher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(publish = vi.fn(async (_t: string, _b: string) => {})) {
    const f = fakePort();
    const cap = captureLog('warn');
    const p = new TelemetryPublisher({
      port: f.port,
      unit: { agency: 'a', id: 'u' },
      topics: { health: 'x/a/u/health', heartbeat: 'x/a/u/heartbeat' },
      config: { healthIntervalS: 60, heartbeatIntervalS: 300 },
      outboxDepth: () => 5,
      log: cap.log,
      now: () => Date.now(),
    });
    return { f, p, publish, cap };
  }
  const bodies = (publish: ReturnType<typeof vi.fn>, topic: string) =>
    publish.mock.calls.filter((c) => c[0] === topic).map((c) => JSON.parse(c[1] as string));

  it('publishes both on connect, then on the periods', async () => {
    const { p, publish } = setup();
    p.connected(publish);
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies(publish, 'x/a/u/health')).toHaveLength(1);
    expect(bodies(publish, 'x/a/u/heartbeat')[0]).toMatchObject({ type: 'heartbeat', outboxDepth: 5 });
    await vi.advanceTimersByTimeAsync(300_000);
    expect(bodies(publish, 'x/a/u/health')).toHaveLength(6);
    expect(bodies(publish, 'x/a/u/heartbeat')).toHaveLength(2);
  });

  it('coalesces a burst of changes into one message after the minimum gap, with the latest state', async () => {
    const { f, p, publish } = setup();
    p.connected(publish);
    await vi.advanceTimersByTimeAsync(0);
    f.change('red');
    f.change('green');
    f.change('red');
    await vi.advanceTimersByTimeAsync(HEALTH_MIN_GAP_MS - 1);
    expect(bodies(publish, 'x/a/u/health')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const h = bodies(publish, 'x/a/u/health');
    expect(h).toHaveLength(2);
    expect(h[1].status).toBe('red');
    // Long after the last message a change goes out at once.
    await vi.advanceTimersByTimeAsync(5000);
    f.change('green');
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies(publish, 'x/a/u/health').at(-1).status).toBe('green');
  });

  it('is silent while disconnected and lets go of the health listener', async () => {
    const { f, p, publish } = setup();
    p.connected(publish);
    await vi.advanceTimersByTimeAsync(0);
    p.disconnected();
    expect(f.listeners.size).toBe(0);
    const n = publish.mock.calls.length;
    f.change('red');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(publish.mock.calls.length).toBe(n);
  });

  it('logs a refused publish once, not every period', async () => {
    const publish = vi.fn(async () => {
      throw new Error('not authorized');
    });
    const { p, cap } = setup(publish);
    p.connected(publish);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(p.stats.failed).toBeGreaterThan(5);
    const warns = cap.lines().filter((l) => l.msg === 'telemetry');
    // One for health, one for the heartbeat.
    expect(warns).toHaveLength(2);
    expect(String(warns[0]?.err)).toContain('not authorized');
  });
});
