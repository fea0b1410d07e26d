import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { publishRetainedConfirmed } from '../../src/core/retained-confirm.ts';
import { AlprError, ErrorCodes } from '../../src/domain/errors.ts';

const matches = (filter: string, topic: string) => {
  const f = filter.split('/');
  const t = topic.split('/');
  return f.length === t.length && f.every((p, i) => p === '+' || p === t[i]);
};

/**
 * A broker node as nats-server 2.9 behaves while its retained stream has no leader: every
 * PUBLISH is acknowledged, but the first `lose` stores of each listed topic are lost.
 */
class LossyBroker extends EventEmitter {
  retained = new Map<string, Buffer>();
  published: string[] = [];
  constructor(private readonly lose: Map<string, number>) {
    super();
  }
  async publishAsync(topic: string, payload: Buffer) {
    this.published.push(topic);
    const n = this.lose.get(topic) ?? 0;
    if (n > 0) this.lose.set(topic, n - 1);
    else this.retained.set(topic, Buffer.from(payload));
  }
  async subscribeAsync(filters: string[]) {
    setImmediate(() => {
      for (const [t, p] of this.retained) if (filters.some((f) => matches(f, t))) this.emit('message', t, p);
    });
    return filters.map((topic) => ({ topic, qos: 1 }));
  }
  async unsubscribeAsync() {}
}

const msgs = [
  { topic: 'adm/SVS/chunk/7/0', payload: Buffer.from('c0') },
  { topic: 'adm/SVS/chunk/7/1', payload: Buffer.from('c1') },
  { topic: 'adm/SVS/manifest', payload: Buffer.from('{"v":7}') },
];
const filters = ['adm/SVS/chunk/7/+', 'adm/SVS/manifest'];

describe('publishRetainedConfirmed', () => {
  it('publishes again only what the broker acknowledged but did not keep, until all reads back', async () => {
    const b = new LossyBroker(new Map([['adm/SVS/chunk/7/1', 2]]));
    const retries: string[][] = [];
    const r = await publishRetainedConfirmed(b as unknown as MqttClient, msgs, {
      filters,
      readMs: 200,
      onRetry: (missing) => retries.push(missing),
    });
    expect(r.rounds).toBe(3);
    expect(retries).toEqual([['adm/SVS/chunk/7/1'], ['adm/SVS/chunk/7/1']]);
    expect(b.published).toEqual([...msgs.map((m) => m.topic), 'adm/SVS/chunk/7/1', 'adm/SVS/chunk/7/1']);
    for (const m of msgs) expect(b.retained.get(m.topic)).toEqual(m.payload);
  });

  it('one round when everything is kept', async () => {
    const b = new LossyBroker(new Map());
    const r = await publishRetainedConfirmed(b as unknown as MqttClient, msgs, { filters, readMs: 200 });
    expect(r.rounds).toBe(1);
    expect(b.published).toHaveLength(3);
  });

  it('a different retained copy (an older version) counts as missing; a broker that never keeps it fails, coded', async () => {
    const b = new LossyBroker(new Map([['adm/SVS/manifest', 1_000]]));
    b.retained.set('adm/SVS/manifest', Buffer.from('{"v":6}'));
    const err = await publishRetainedConfirmed(b as unknown as MqttClient, msgs, {
      filters,
      readMs: 50,
      timeoutMs: 700,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlprError);
    expect((err as AlprError).code).toBe(ErrorCodes.SYNC);
    expect((err as AlprError).details).toEqual(['adm/SVS/manifest']);
  });
});
