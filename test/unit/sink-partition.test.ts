import { describe, expect, it } from 'vitest';
import { parsePartition } from '../../src/commands/sync.ts';
import { ownsPartition, unitPartition } from '../../src/sync/sink.ts';

describe('receiver partitions', () => {
  it('spreads units over partitions, the same way in every receiver', () => {
    const counts = [0, 0, 0, 0];
    for (let u = 0; u < 4000; u++) counts[unitPartition('metro', `car-${u}`, 4)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
    expect(unitPartition('metro', 'car-1', 4)).toBe(unitPartition('metro', 'car-1', 4));
  });

  it.each([
    // part, index, count, copies, owned
    [0, 0, 3, 1, true],
    [1, 0, 3, 1, false],
    [0, 1, 3, 2, false],
    [1, 1, 3, 2, true],
    [2, 1, 3, 2, true],
    [2, 0, 3, 2, false],
    [0, 2, 3, 2, true],
    [1, 0, 1, 1, true],
    [0, 2, 3, 5, true],
  ])('partition %i, receiver %i of %i, %i copies: %s', (part, index, count, copies, owned) => {
    expect(ownsPartition(part, index, count, copies)).toBe(owned);
  });

  it('stores every partition exactly `copies` times over the receivers', () => {
    for (const [count, copies] of [
      [3, 2],
      [5, 1],
      [4, 3],
    ] as const) {
      for (let part = 0; part < count; part++) {
        const owners = Array.from({ length: count }, (_, i) => i).filter((i) =>
          ownsPartition(part, i, count, copies),
        );
        expect(owners).toHaveLength(copies);
      }
    }
  });

  it('reads --partition i/n numbered from 1, refusing anything else', () => {
    expect(parsePartition('2/4')).toEqual({ index: 1, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '3']) {
      expect(() => parsePartition(bad)).toThrow(expect.objectContaining({ code: 'ALPR_E_INPUT' }));
    }
  });
});
