/**
 * Self-test check "the broker accepts the certificate": one MQTT connection with the unit's TLS
 * files from the credentials folder (the same option names the sync stage uses), wait for CONNACK
 * or a clear error, then disconnect. It uses its own client id and a clean session, so the unit's
 * persistent session on the broker (and anything queued for it) is left alone.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions } from 'mqtt';
import { readSecret } from '../config/secrets.ts';
import { describeMqttError } from '../domain/mqtt-errors.ts';
import type { SelftestCheck } from './selftest.ts';

export interface BrokerCheckOptions {
  url: string;
  protocolVersion: 4 | 5;
  unit: { id: string; agency: string };
  /** The credentials folder (paths.credentialsDir or $CREDENTIALS_DIRECTORY). */
  credentialsDir: string | undefined;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** How long to wait for CONNACK (default 10 s). */
  timeoutMs?: number;
}

const TLS_URL = /^(mqtts|wss|ssl):/;

/** Connects once and says whether the broker accepted the unit (pass), or why not (fail). */
export async function checkBroker(o: BrokerCheckOptions): Promise<SelftestCheck> {
  const name = 'broker';
  const timeoutMs = o.timeoutMs ?? 10_000;
  const tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {};
  try {
    if (o.caFile) tls.ca = readSecret(o.credentialsDir, o.caFile);
    if (o.certFile) tls.cert = readSecret(o.credentialsDir, o.certFile);
    if (o.keyFile) tls.key = readSecret(o.credentialsDir, o.keyFile);
  } catch (err) {
    return { name, result: 'fail', detail: (err as Error).message };
  }
  const t0 = performance.now();
  const client = mqtt.connect(o.url, {
    clientId: `alpr-${o.unit.agency}-${o.unit.id}-selftest-${randomBytes(8).toString('hex')}`,
    clean: true,
    protocolVersion: o.protocolVersion,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    rejectUnauthorized: true,
    ...tls,
  });
  const outcome = await new Promise<{ ok: true } | { ok: false; why: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, why: `no answer from the broker within ${timeoutMs / 1000} s` }),
      timeoutMs + 500,
    );
    const done = (r: { ok: true } | { ok: false; why: string }) => {
      clearTimeout(timer);
      resolve(r);
    };
    client.once('connect', () => done({ ok: true }));
    client.once('error', (err) => done({ ok: false, why: describeMqttError(err) }));
    // A broker that drops a refused client certificate after the TLS 1.3 handshake may just close.
    client.once('close', () =>
      done({
        ok: false,
        why: 'connection closed before the broker answered (client certificate refused or revoked?)',
      }),
    );
  });
  const ms = Math.round(performance.now() - t0);
  await new Promise<void>((res) => client.end(true, {}, () => res()));
  if (!outcome.ok) return { name, result: 'fail', detail: `${outcome.why} (${o.url}, after ${ms} ms)`, ms };
  const mqttV = o.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
  if (!TLS_URL.test(o.url)) {
    return {
      name,
      result: 'warn',
      detail: `broker answered in ${ms} ms (${mqttV}), but the link is NOT encrypted (policy rule 9 asks for TLS)`,
      ms,
    };
  }
  const who = o.certFile
    ? 'accepted the unit certificate'
    : 'accepted the connection (no client certificate)';
  return { name, result: 'pass', detail: `broker ${who} in ${ms} ms (${mqttV}, TLS)`, ms };
}
