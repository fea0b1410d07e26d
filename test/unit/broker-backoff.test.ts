import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokerBackoff, retryDelayMs } from '../../src/core/broker-backoff.ts';
import { RejectCounter } from '../../src/core/rejects.ts';

describe('retryDelayMs', () => {
  it('doubles from the minimum and never passes the cap, whatever the attempt', () => {
    expect([0, 1, 2, 3].map((a) => retryDelayMs(a, 1000, 5000, 1))).toEqual([1000, 2000, 4000, 5000]);
    for (const a of [4, 10, 31, 1000, Number.MAX_SAFE_INTEGER]) {
      expect(retryDelayMs(a, 1000, 5000, 1)).toBe(5000);
      expect(retryDelayMs(a, 1000, 5000, 0)).toBe(2500);
    }
  });
});

class FakeClient extends EventEmitter {
  reconnects = 0;
  reconnect() {
    this.reconnects++;
  }
}

function logSink() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg: string) =>
    lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, log: { warn: at('warn'), info: at('info'), debug: at('debug') } };
}

describe('BrokerBackoff', () => {
  afterEach(() => vi.useRealTimers());

  it('one warning per outage, retries backing off to the cap, one line when back', () => {
    vi.useFakeTimers();
    const client = new FakeClient();
    const { lines, log } = logSink();
    let now = 0;
    const b = new BrokerBackoff(client, {
      minMs: 1000,
      maxMs: 5000,
      what: 'test link',
      log,
      now: () => now,
      rand: () => 1,
    });
    b.attach();
    const waits: number[] = [];
    // Three minutes without a broker: every attempt fails with an error and a close.
    for (let t = 0; t < 180_000; ) {
      client.emit('error', new Error('connect ECONNREFUSED'));
      client.emit('close');
      const before = client.reconnects;
      let waited = 0;
      while (client.reconnects === before) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      waits.push(waited);
      t += waited;
      now = t;
    }
    expect(waits.slice(0, 4)).toEqual([1000, 2000, 4000, 5000]);
    expect(Math.max(...waits)).toBe(5000);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    client.emit('connect');
    const back = lines.filter((l) => l.level === 'info');
    expect(back).toHaveLength(1);
    expect(back[0]!.obj.downMs).toBeGreaterThanOrEqual(180_000);
    // The next outage starts from the shortest wait again, with its own warning.
    client.emit('close');
    vi.advanceTimersByTime(999);
    expect(client.reconnects).toBe(waits.length);
    vi.advanceTimersByTime(1);
    expect(client.reconnects).toBe(waits.length + 1);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('stop() ends the retries', () => {
    vi.useFakeTimers();
    const client = new FakeClient();
    const b = new BrokerBackoff(client, { minMs: 1000, maxMs: 5000, what: 'x', log: logSink().log });
    b.attach();
    client.emit('close');
    b.stop();
    vi.advanceTimersByTime(60_000);
    expect(client.reconnects).toBe(0);
  });
});

describe('RejectCounter', () => {
  it('warns at once, then at most once per interval with the count in between', () => {
    const warns: Record<string, unknown>[] = [];
    let now = 0;
    const r = new RejectCounter(
      { warn: (o) => warns.push(o as Record<string, unknown>) },
      'x rejected',
      60_000,
      () => now,
    );
    for (let i = 0; i < 1000; i++) {
      r.reject(`reason ${i}`);
      now += 1000;
    }
    expect(r.total).toBe(1000);
    // 1000 s of refusals, one a second: the first, then one a minute.
    expect(warns).toHaveLength(17);
    expect(warns[0]).toMatchObject({ rejected: 1, total: 1, reason: 'reason 0' });
    expect(warns[1]).toMatchObject({ rejected: 60, total: 61 });
  });

  it('sums up the refusals of an interval when it ends, naming their distinct reasons, even if none follow', () => {
    vi.useFakeTimers();
    try {
      const warns: Record<string, unknown>[] = [];
      const r = new RejectCounter(
        { warn: (o) => warns.push(o as Record<string, unknown>) },
        'snapshot refused',
        60_000,
      );
      r.reject('truncated: 4 of 5 chunks');
      vi.advanceTimersByTime(10_000);
      r.reject('bad signature');
      r.reject('bad signature');
      r.reject('signed by unknown key "rogue"');
      expect(warns).toHaveLength(1);
      vi.advanceTimersByTime(50_000);
      expect(warns).toHaveLength(2);
      expect(warns[1]).toMatchObject({
        rejected: 3,
        total: 4,
        reason: 'signed by unknown key "rogue"',
        reasons: ['bad signature', 'signed by unknown key "rogue"'],
      });
      // nothing more refused: nothing more said
      vi.advanceTimersByTime(600_000);
      expect(warns).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
