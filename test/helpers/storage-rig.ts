/**
 * What the store's fault tests share: a bus that throws a handler's error (nothing is swallowed),
 * the storage light's reports as they come, and a read pushed through the store the way the reads
 * pipeline pushes it (every 10th raising a hit while it is announced).
 */
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport, Hit, Read } from '../../src/domain/types.ts';
import type { StoreStage } from '../../src/store/index.ts';
import { makeHit, makeRead } from './sync-fixtures.ts';

export function storageBus(): { bus: Bus; health: HealthReport[] } {
  const bus = new Bus((_e, err) => {
    throw err;
  });
  const health: HealthReport[] = [];
  bus.on('health', (h) => {
    if (h.component === 'storage') health.push(h);
  });
  return { bus, health };
}

/** Read number `i` through `store` as the pipeline sends it; the read and any hit are pushed on `reads`/`hits`. */
export function pipelineRead(
  store: StoreStage,
  bus: Bus,
  i: number,
  reads: Read[],
  hits: Hit[],
): { read: boolean; hits: number } {
  const r = makeRead(i);
  reads.push(r);
  return store.putReadWithHits(r, () => {
    bus.emit('read', r);
    if (i % 10 === 0) {
      const h = makeHit(r);
      hits.push(h);
      bus.emit('hit', h);
    }
  });
}
