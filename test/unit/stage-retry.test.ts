import { afterEach, describe, expect, it, vi } from 'vitest';
import { RETRY_CAP_MS, retryDelayMs, StageRetries } from '../../src/core/stage-retry.ts';
import type { Stage, StageFactory } from '../../src/core/stage.ts';

const stage = (name: string, log: string[]): Stage => ({
  name,
  critical: false,
  start: async () => {},
  stop: async () => {
    log.push(`stop ${name}`);
  },
});

const f = (name: string): StageFactory => ({
  name,
  critical: false,
  component: name,
  make: () => stage(name, []),
});

describe('retryDelayMs', () => {
  it('doubles from the configured wait and stops at the cap', () => {
    expect([0, 1, 2, 3].map((n) => retryDelayMs(n, 30_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(5, 30_000)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(60, 30_000)).toBe(RETRY_CAP_MS);
    // a configured wait above the cap is kept as it is
    expect(retryDelayMs(3, 3_600_000)).toBe(3_600_000);
  });
});

describe('StageRetries', () => {
  afterEach(() => vi.useRealTimers());

  it('tries again after each wait until the stage starts, then stops trying', async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    let failuresLeft = 2;
    const r = new StageRetries(1000, {
      attempt: async (fac) => {
        log.push(`try ${fac.name}`);
        if (failuresLeft-- > 0) throw new Error('port busy');
        return stage(fac.name, log);
      },
      started: (fac, _s, tries) => log.push(`started ${fac.name} after ${tries}`),
      failedAgain: (fac, err, tries, next) =>
        log.push(`failed ${fac.name} ${tries} ${(err as Error).message} ${next}`),
    });
    r.schedule(f('web'));
    await vi.advanceTimersByTimeAsync(999);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['try web', 'failed web 1 port busy 2000']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(log.slice(2)).toEqual(['try web', 'failed web 2 port busy 4000']);
    await vi.advanceTimersByTimeAsync(4000);
    expect(log.slice(4)).toEqual(['try web', 'started web after 3']);
    expect(r.waiting).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toHaveLength(6);
  });

  it('once stopped, makes no more tries and closes a stage that came up meanwhile', async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const pending: (() => void)[] = [];
    const r = new StageRetries(1000, {
      attempt: async (fac) => {
        log.push(`try ${fac.name}`);
        await new Promise<void>((res) => pending.push(res));
        return stage(fac.name, log);
      },
      started: (fac) => log.push(`started ${fac.name}`),
      failedAgain: () => log.push('failed'),
    });
    r.schedule(f('sync'));
    r.schedule(f('gps'));
    r.schedule(f('web'), 3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(log).toEqual(['try sync', 'try gps']);
    let done = false;
    const stopped = r.stop().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    // stop waits for the tries under way
    expect(done).toBe(false);
    for (const go of pending) go();
    await stopped;
    expect(log.slice(2).sort()).toEqual(['stop gps', 'stop sync']);
    expect(r.waiting).toBe(0);
    // the web try, due after 8 s, never comes
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log.filter((l) => l.startsWith('try'))).toEqual(['try sync', 'try gps']);
  });
});
