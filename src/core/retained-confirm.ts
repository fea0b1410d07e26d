/**
 * Publishing retained messages on a clustered broker until they read back. nats-server 2.9
 * acknowledges a QoS 1 PUBLISH (PUBACK) even when storing its retained copy failed: while the
 * retained-message stream has no leader its log says "unable to store retained message … timeout"
 * and the client is told nothing. The node keeps a retained message in its own view only once it
 * is stored, so an admin tool reads its retained topics back on the same connection and publishes
 * what is missing or different again, until every one reads back or the deadline passes.
 */
import type { MqttClient } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';

export interface RetainedMessage {
  topic: string;
  payload: Buffer;
}

export interface ConfirmOptions {
  /** Filters that match every topic to confirm (and as little else as possible). */
  filters: string[];
  /** Gives up (ALPR_E_SYNC) after this long; 60 s without. */
  timeoutMs?: number;
  /** How long one read-back waits for the retained messages; 2 s without. */
  readMs?: number;
  /** Told after each message of the first round is acknowledged. */
  onPublished?: (done: number, total: number) => void;
  /** Told about each publish round after the first (the CLI's progress, tests). */
  onRetry?: (missing: string[], round: number) => void;
}

/** Publishes `msgs` in order (retained, QoS 1), then again the ones that do not read back. */
export async function publishRetainedConfirmed(
  client: MqttClient,
  msgs: readonly RetainedMessage[],
  o: ConfirmOptions,
): Promise<{ rounds: number }> {
  const until = Date.now() + (o.timeoutMs ?? 60_000);
  let todo = [...msgs];
  for (let round = 1; ; round++) {
    if (round > 1)
      o.onRetry?.(
        todo.map((m) => m.topic),
        round,
      );
    for (const [i, m] of todo.entries()) {
      await client.publishAsync(m.topic, m.payload, { qos: 1, retain: true });
      if (round === 1) o.onPublished?.(i + 1, todo.length);
    }
    const got = await readRetained(client, o.filters, new Set(msgs.map((m) => m.topic)), o.readMs ?? 2000);
    const missing = msgs.filter((m) => !got.get(m.topic)?.equals(m.payload));
    if (missing.length === 0) return { rounds: round };
    if (Date.now() >= until) {
      throw new AlprError(
        ErrorCodes.SYNC,
        `${missing.length} of ${msgs.length} retained message(s) did not read back from the broker after ${round} round(s)`,
        { details: missing.slice(0, 20).map((m) => m.topic) },
      );
    }
    // Only those again, in the same order (a list's chunks before its manifest).
    todo = missing;
    await new Promise((r) => setTimeout(r, Math.min(4000, 500 * 2 ** (round - 1))));
  }
}

/**
 * The retained messages on `filters`, waiting up to `waitMs` for every topic in `want` (sooner
 * when all came). A refused subscription (a cluster electing leaders) reads as nothing.
 */
export async function readRetained(
  client: MqttClient,
  filters: string[],
  want: ReadonlySet<string>,
  waitMs: number,
): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  let wake: () => void = () => {};
  const all = new Promise<void>((r) => {
    wake = r;
  });
  const on = (topic: string, payload: Buffer) => {
    if (payload.length > 0) got.set(topic, Buffer.from(payload));
    if ([...want].every((t) => got.has(t))) wake();
  };
  client.on('message', on);
  try {
    const granted = await client.subscribeAsync(filters, { qos: 1 }).then(
      () => true,
      () => false,
    );
    if (granted) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    await client.unsubscribeAsync(filters).catch(() => {});
  } finally {
    client.off('message', on);
  }
  return got;
}
