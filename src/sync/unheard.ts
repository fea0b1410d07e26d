/**
 * Topics the broker has no receiver for. An MQTT 5 broker answers a QoS 1 publish that no
 * subscription matches with PUBACK reason 16, "no matching subscribers" (Mosquitto does): it
 * acknowledges the message and keeps it for no one. Before the agency's receivers have made their
 * persistent sessions (a new broker, receivers started after the units, a session expired), every
 * read, hit, audit row and shift check sent would be acknowledged, dropped from the unit's queue and
 * lost. Such a topic is held instead: its messages stay queued, and one of them is sent every
 * `retryMs` as a probe until the broker answers that someone received it. Pure.
 * (An MQTT 3.1.1 broker gives no reason code; there the receivers must subscribe first.)
 */

/** PUBACK reason code 16 (MQTT 5, 3.4.2.1): the message was accepted but no one subscribes. */
export const NO_MATCHING_SUBSCRIBERS = 16;

export class UnheardTopics {
  /** topic → when its next probe may go */
  private readonly held = new Map<string, number>();

  constructor(private readonly retryMs: number) {}

  /** The broker had no receiver for `topic`: hold it. True when it was not held before. */
  unheard(topic: string, now: number): boolean {
    const was = this.held.has(topic);
    this.held.set(topic, now + this.retryMs);
    return !was;
  }

  /** A publish on `topic` reached a subscriber: release it. True when it was held. */
  heard(topic: string): boolean {
    return this.held.delete(topic);
  }

  /**
   * May a message on `topic` be published now? Always when the topic is not held; for a held one,
   * once per `retryMs` (that message is the probe: the next waits for its answer or the next turn).
   */
  mayPublish(topic: string, now: number): boolean {
    const next = this.held.get(topic);
    if (next === undefined) return true;
    if (now < next) return false;
    this.held.set(topic, now + this.retryMs);
    return true;
  }

  /** The held topics' last path segments (`read`, `audit`…), sorted: what the light names. */
  kinds(): string[] {
    return [...new Set([...this.held.keys()].map((t) => t.slice(t.lastIndexOf('/') + 1)))].sort();
  }

  get size(): number {
    return this.held.size;
  }
}
