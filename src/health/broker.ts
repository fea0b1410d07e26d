/**
 * Self-test check "the broker accepts the certificate": one MQTT connection with the unit's TLS
 * files from the credentials folder (the same option names the sync stage uses), wait for CONNACK
 * or a clear error, then disconnect.
 *
 * A broker that ties client ids to certificates (the reference configuration) gives this
 * connection the unit's own session, whatever id it asks for: a running daemon's connection is
 * replaced for a moment (it reconnects within its backoff). So the check resumes that session
 * rather than starting a clean one (which would drop the commands queued for the unit), keeps it
 * as long as the daemon does, and acknowledges nothing it is sent: the broker sends it again to
 * the daemon.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions } from 'mqtt';
import { readSecret } from '../config/secrets.ts';
import { UNIT_SESSION_EXPIRY_S } from '../core/broker-session.ts';
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
  const clientId = `alpr-${o.unit.agency}-${o.unit.id}-selftest-${randomBytes(8).toString('hex')}`;
  const base = {
    clientId,
    protocolVersion: o.protocolVersion,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    rejectUnauthorized: true,
    ...tls,
  };
  const client = mqtt.connect(o.url, {
    ...base,
    clean: false,
    ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: UNIT_SESSION_EXPIRY_S } } : {}),
    // Never acknowledge: a queued command stays queued for the daemon.
    customHandleAcks: () => {},
  });
  type Outcome = { ok: true; resumed: boolean } | { ok: false; why: string };
  const outcome = await new Promise<Outcome>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, why: `no answer from the broker within ${timeoutMs / 1000} s` }),
      timeoutMs + 500,
    );
    const done = (r: Outcome) => {
      clearTimeout(timer);
      resolve(r);
    };
    client.once('connect', (connack) => done({ ok: true, resumed: connack.sessionPresent === true }));
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
  if (outcome.ok && !outcome.resumed) {
    // A session of its own, or the unit's with nothing in it: leave none behind on the broker.
    if (o.protocolVersion === 5) await client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
    else {
      await client.endAsync(true);
      const clean = await mqtt.connectAsync(o.url, { ...base, clean: true }).catch(() => null);
      await clean?.endAsync(true);
    }
  } else await new Promise<void>((res) => client.end(true, {}, () => res()));
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
