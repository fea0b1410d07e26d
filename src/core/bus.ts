import type { BusEventName, BusEvents } from '../domain/events.ts';

type Handler<K extends BusEventName> = (payload: BusEvents[K]) => void;

/**
 * A small synchronous typed event bus. A handler that throws is reported to `onError`
 * and does not stop the other handlers: one broken stage must not take the others down.
 */
export class Bus {
  private readonly handlers = new Map<BusEventName, Set<Handler<BusEventName>>>();
  constructor(private readonly onError: (event: BusEventName, err: unknown) => void = () => {}) {}

  on<K extends BusEventName>(event: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as Handler<BusEventName>);
    return () => set.delete(handler as Handler<BusEventName>);
  }

  emit<K extends BusEventName>(event: K, payload: BusEvents[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const h of set) {
      try {
        h(payload);
      } catch (err) {
        this.onError(event, err);
      }
    }
  }

  listenerCount(event: BusEventName): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}
