/**
 * Subscribing on a clustered broker: a NATS JetStream cluster refuses subscriptions (SUBACK 0x80)
 * for the seconds its streams take to elect new leaders after losing a node. A subscription that
 * is simply dropped then leaves a list or a roster unseen until the next reconnect; this one is
 * tried again, 0.5 s doubling to 5 s, while the same connection is up and `wanted()` holds.
 */
import type { IClientSubscribeOptions } from 'mqtt';

/** What the retry needs of a broker client (mqtt.js MqttClient fits). */
export interface SubscribingClient {
  readonly connected: boolean;
  subscribe(
    filters: string | string[],
    opts: IClientSubscribeOptions,
    cb: (err: Error | null | undefined) => void,
  ): unknown;
}

/** A client that can also unsubscribe (mqtt.js MqttClient fits). */
export interface ResubscribingClient extends SubscribingClient {
  unsubscribe(filters: string | string[], cb: (err?: Error) => void): unknown;
}

export interface SubscribeRetryOptions {
  /** Still needed (the filter is still wanted, the stage still uses this client)? */
  wanted: () => boolean;
  /** Called once, when the broker grants the subscription. */
  done?: () => void;
  /** Told about the first refusal of each subscription. */
  onRefused?: (err: Error) => void;
  /** Subscription QoS (default 1). */
  qos?: 0 | 1;
}

export function subscribeWithRetry(
  client: SubscribingClient,
  filters: string[],
  o: SubscribeRetryOptions,
  attempt = 0,
): void {
  client.subscribe(filters, { qos: o.qos ?? 1 }, (err) => {
    if (!err) {
      o.done?.();
      return;
    }
    if (attempt === 0) o.onRefused?.(err);
    const t = setTimeout(
      () => {
        if (client.connected && o.wanted()) subscribeWithRetry(client, filters, o, attempt + 1);
      },
      Math.min(5000, 500 * 2 ** attempt),
    );
    t.unref();
  });
}

/**
 * Subscribes again so the broker sends the retained messages anew (mqtt.js sends nothing for a
 * filter it holds already, and MQTT gives retained messages only on a new subscription): the
 * filters are dropped, then subscribed with the same retries. A message published in between is
 * retained, so the new subscription brings it.
 */
export function subscribeAgain(
  client: ResubscribingClient,
  filters: string[],
  o: SubscribeRetryOptions,
): void {
  client.unsubscribe(filters, () => {
    if (client.connected && o.wanted()) subscribeWithRetry(client, filters, o);
  });
}
