/** Small helpers of the sync stage's broker link (TLS material, timing). */
import { type KeyObject, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { IClientOptions } from 'mqtt';
import type { Config } from '../config/schema.ts';
import { UNIT_SESSION_EXPIRY_S } from '../core/broker-session.ts';
import { certKeyProblem, readSecret } from '../config/secrets.ts';
import type { Logger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { HoldPort } from '../domain/ports.ts';
import { MAX_LINK_PACKET_BYTES, parseHoldCommand, payloads, topics, type UnitRef } from './topics.ts';

type MqttConfig = Extract<Config['sync'], { type: 'mqtt' }>;

/** The unit's CA, client certificate and key from the credentials dir; warns when the URL is not TLS. */
export function loadTls(
  c: MqttConfig,
  dir: string | undefined,
  log: Logger,
): Pick<IClientOptions, 'ca' | 'cert' | 'key'> {
  const out: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {};
  if (c.caFile) out.ca = readSecret(dir, c.caFile);
  if (c.certFile) out.cert = readSecret(dir, c.certFile);
  if (c.keyFile) out.key = readSecret(dir, c.keyFile);
  if (out.cert && out.key) {
    // named here, with the two keys, rather than as OpenSSL's "key values mismatch" on every connect
    const problem = certKeyProblem(out.cert as Buffer, out.key as Buffer);
    if (problem)
      throw new AlprError(
        ErrorCodes.SYNC,
        `sync.certFile (${c.certFile}) and sync.keyFile (${c.keyFile}) do not go together: ${problem}`,
      );
  }
  if (!/^(mqtts|wss|ssl):/.test(c.url)) {
    log.warn({ url: c.url }, 'sync link is NOT encrypted (policy rule 9 asks for TLS): test and demo only');
  }
  return out;
}

/**
 * One connection's options: our own reconnect (backoff) rather than mqtt.js's, a persistent
 * session, the unit's certificate, and the retained `offline` status as last will.
 */
export function clientOptions(
  c: MqttConfig,
  unit: UnitRef,
  tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'>,
  offlineStatus: string,
  clientId = `alpr-${unit.agency}-${unit.id}`,
  /** The largest packet the connection's other listeners take (a hot-list chunk); 0 = the link's own. */
  packetBytes = 0,
): IClientOptions {
  const options: IClientOptions = {
    clientId,
    clean: false,
    protocolVersion: c.protocolVersion,
    keepalive: c.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: 20_000,
    resubscribe: false,
    rejectUnauthorized: true,
    will: {
      topic: topics(c.topicBase, unit).status,
      payload: Buffer.from(offlineStatus),
      qos: 1,
      retain: true,
    },
    ...tls,
  };
  if (c.protocolVersion === 5)
    options.properties = {
      sessionExpiryInterval: UNIT_SESSION_EXPIRY_S,
      maximumPacketSize: Math.max(MAX_LINK_PACKET_BYTES, packetBytes),
    };
  return options;
}

/**
 * mqtt.js `servers` for a clustered broker: the primary URL first, then the other nodes; a client
 * whose connection fails or drops moves on to the next. Empty when there is no other node.
 */
export function clusterServers(url: string, more: readonly string[]): Pick<IClientOptions, 'servers'> {
  if (more.length === 0) return {};
  type Server = NonNullable<IClientOptions['servers']>[number];
  const servers = [url, ...more].map((u): Server => {
    const x = new URL(u);
    const protocol = x.protocol.replace(':', '') as NonNullable<Server['protocol']>;
    const port = Number(x.port) || (/^(mqtts|ssl|wss)$/.test(protocol) ? 8883 : 1883);
    return { host: x.hostname, port, protocol };
  });
  return { servers };
}

/**
 * The link's client id, `alpr-<agency>-<unit>-<32 hex>`: the suffix is made once and kept in
 * `file`, since the persistent session is found by its id. Mosquitto 2.0 cannot tie a client id to
 * the certificate of a certificate-authenticated client, and an id anyone can derive from the unit
 * id lets any certificate knock the unit off the broker by connecting with it; one that only the
 * unit knows cannot be taken that way.
 */
export function linkClientId(unit: UnitRef, file: string): string {
  let suffix = '';
  try {
    suffix = readFileSync(file, 'utf8').trim();
  } catch {
    // first start: made below
  }
  if (!/^[0-9a-f]{32}$/.test(suffix)) {
    suffix = randomBytes(16).toString('hex');
    writeFileSync(`${file}.tmp`, `${suffix}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  return `alpr-${unit.agency}-${unit.id}-${suffix}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
}

/**
 * Applies an evidence-hold command from the server; returns the result to publish, or null.
 * A command refused (malformed, unsigned, not for this unit) goes to `refused` (the stage's
 * counted, rate-limited warning: whoever can write the topic can send thousands).
 */
export function applyHoldCommand(
  payload: Buffer,
  holds: HoldPort | undefined,
  unit: UnitRef,
  now: number,
  log: Logger,
  keys: ReadonlyMap<string, KeyObject>,
  refused: (problem: string) => void,
): string | null {
  const cmd = parseHoldCommand(payload, unit, keys, now);
  if (typeof cmd === 'string') {
    refused(cmd);
    return null;
  }
  if (!holds) {
    log.error({ requestId: cmd.id }, 'hold command received but no store is wired to take it');
    return null;
  }
  let changed: number;
  try {
    changed = holds.setHold(cmd.readIds, cmd.ref, cmd.action === 'hold', {
      id: cmd.id,
      issuedAt: cmd.issuedAt,
      sig: cmd.sig,
      now,
    });
  } catch (err) {
    // the ledger's refusal (an id used twice, a command older than the last of the other action
    // for its case): said in the result too, so the admin who sent it learns why
    if (!(err instanceof AlprError) || err.code !== ErrorCodes.INPUT) throw err;
    refused(err.message);
    return JSON.stringify(payloads.holdResult(unit, cmd.id, 0, now, err.message));
  }
  return JSON.stringify(payloads.holdResult(unit, cmd.id, changed, now));
}

/**
 * The host's non-internal addresses, sorted: changes when a link comes, goes or is renumbered.
 * Empty when they cannot be read (a sandbox without netlink): the link then only reconnects on
 * its own backoff.
 */
export function hostNetworkKey(read: typeof networkInterfaces = networkInterfaces): string {
  let all: ReturnType<typeof networkInterfaces>;
  try {
    all = read();
  } catch {
    return '';
  }
  return Object.values(all)
    .flatMap((l) => l ?? [])
    .filter((a) => !a.internal)
    .map((a) => a.address)
    .sort()
    .join(',');
}
