/**
 * Plain words for MQTT, TLS and socket errors (pure). The sync stage and the garage self-test
 * both explain broker failures to people; this copy lives in domain so neither imports the other.
 */

const TLS_HINTS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate not signed by the configured CA (wrong caFile?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate is self-signed and not trusted (wrong caFile?)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'server certificate not signed by the configured CA (wrong caFile?)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'server certificate not signed by the configured CA (wrong caFile?)',
  CERT_HAS_EXPIRED: 'a certificate has expired',
  CERT_NOT_YET_VALID: 'a certificate is not yet valid (check the unit clock)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'server certificate does not match the host name in sync.url',
  ECONNREFUSED: 'connection refused (broker down or wrong port)',
  ENOTFOUND: 'broker host name not found',
  EAI_AGAIN: 'broker host name cannot be resolved (no DNS?)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'broker host unreachable (no route: check the network)',
  ENETUNREACH: 'network unreachable (no link?)',
  ECONNRESET: 'connection reset by the broker (client certificate rejected or revoked?)',
  EPIPE: 'connection closed by the broker (client certificate rejected or revoked?)',
};

/** TLS alerts a broker sends when it refuses the client certificate. */
const ALERT_HINTS: Record<string, string> = {
  'unknown ca': 'issued by a CA the broker does not trust',
  'certificate revoked': 'the agency revoked it: the unit needs a new one',
  'certificate expired': 'the unit needs a new one',
  'certificate required': 'no client certificate sent (certFile/keyFile missing?)',
  'bad certificate': 'the certificate or its key is unusable',
};

/** Plain words for MQTT/TLS/socket errors, for logs, the health reason and the self-test report. */
export function describeMqttError(err: unknown): string {
  const e = err as { code?: string | number; message?: string };
  const msg = (e?.message ?? String(err)).trim();
  if (typeof e?.code === 'string' && TLS_HINTS[e.code]) return `${TLS_HINTS[e.code]} [${e.code}]`;
  // OpenSSL says e.g. "…:ssl3_read_bytes:tlsv1 alert unknown ca:…/rec_layer_s3.c:1601:SSL alert number 48".
  const alert = /alert ([a-z ]+?)(?::|$)/i.exec(msg)?.[1];
  if (alert && !/^number/i.test(alert)) {
    const hint = ALERT_HINTS[alert.toLowerCase()];
    return `TLS handshake refused by the broker (client certificate not accepted: ${alert}${hint ? `, ${hint}` : ''})`;
  }
  if (/certificate (unknown|revoked|expired|required)|alert/i.test(msg)) {
    return `TLS handshake refused by the broker (client certificate not accepted): ${msg}`;
  }
  if (/^keepalive timeout$/i.test(msg))
    return 'server not answering (connection open, no reply to keepalive ping)';
  if (/not authori[sz]ed/i.test(msg)) return `broker refused: not authorized (ACL or identity) — ${msg}`;
  return msg;
}
