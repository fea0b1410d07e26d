import { afterEach, describe, expect, it, vi } from 'vitest';
import { RefreshSchedule } from '../../src/core/retained-refresh.ts';
import { type ResubscribingClient, subscribeAgain } from '../../src/core/subscribe-retry.ts';

describe('RefreshSchedule', () => {
  afterEach(() => vi.useRealTimers());

  it('runs min·2^n after a restart, then every max; a restart starts short again; stop ends it', () => {
    vi.useFakeTimers();
    const at: number[] = [];
    const s = new RefreshSchedule({ minMs: 1000, maxMs: 5000, rand: () => 1 }, () => at.push(Date.now()));
    const t0 = Date.now();
    s.restart();
    vi.advanceTimersByTime(17_000);
    expect(at.map((t) => t - t0)).toEqual([1000, 3000, 7000, 12_000, 17_000]);
    at.length = 0;
    const t1 = Date.now();
    s.restart(); // a reconnect
    vi.advanceTimersByTime(3000);
    expect(at.map((t) => t - t1)).toEqual([1000, 3000]);
    s.stop();
    s.restart(); // no effect once stopped
    vi.advanceTimersByTime(60_000);
    expect(at).toHaveLength(2);
    expect(s.runs).toBe(7);
  });
});

class FakeClient implements ResubscribingClient {
  connected = true;
  calls: string[] = [];
  refuse = 0;
  subscribe(filters: string | string[], _o: unknown, cb: (err: Error | null) => void) {
    this.calls.push(`sub ${filters}`);
    queueMicrotask(() => cb(this.refuse-- > 0 ? new Error('Subscribe error: Unspecified error') : null));
  }
  unsubscribe(filters: string | string[], cb: () => void) {
    this.calls.push(`unsub ${filters}`);
    queueMicrotask(cb);
  }
}

describe('subscribeAgain', () => {
  afterEach(() => vi.useRealTimers());

  it('drops the filters, then subscribes them again, retrying a refusal', async () => {
    vi.useFakeTimers();
    const c = new FakeClient();
    c.refuse = 1;
    let done = 0;
    subscribeAgain(c, ['a/+/manifest'], { wanted: () => true, done: () => done++ });
    await vi.advanceTimersByTimeAsync(600);
    expect(c.calls).toEqual(['unsub a/+/manifest', 'sub a/+/manifest', 'sub a/+/manifest']);
    expect(done).toBe(1);
  });

  it('does not subscribe again once the filters are no longer wanted or the link is down', async () => {
    const c = new FakeClient();
    subscribeAgain(c, ['x'], { wanted: () => false });
    c.connected = false;
    subscribeAgain(c, ['y'], { wanted: () => true });
    await new Promise((r) => setTimeout(r, 10));
    expect(c.calls).toEqual(['unsub x', 'unsub y']);
  });
});
