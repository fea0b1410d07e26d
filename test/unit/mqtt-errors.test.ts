import { describe, expect, it } from 'vitest';
import { describeMqttError } from '../../src/domain/mqtt-errors.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const openssl = (alert: string) =>
  new Error(
    `80BC6B34DF7F0000:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert ${alert}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 48\n`,
  );

describe('describeMqttError (pure)', () => {
  it.each([
    [
      coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      /^server certificate not signed by the configured CA \(wrong caFile\?\) \[UNABLE/,
    ],
    [coded('ECONNREFUSED'), /^connection refused \(broker down or wrong port\) \[ECONNREFUSED\]$/],
    [coded('EHOSTUNREACH'), /^broker host unreachable/],
    [coded('CERT_HAS_EXPIRED'), /^a certificate has expired/],
    [
      openssl('unknown ca'),
      /^TLS handshake refused by the broker \(client certificate not accepted: unknown ca, issued by a CA the broker does not trust\)$/,
    ],
    [
      openssl('certificate revoked'),
      /not accepted: certificate revoked, the agency revoked it: the unit needs a new one\)$/,
    ],
    [openssl('handshake failure'), /not accepted: handshake failure\)$/],
    [new Error('Connection refused: Not authorized'), /^broker refused: not authorized \(ACL or identity\)/],
    [new Error('something else  \n'), /^something else$/],
    ['plain string', /^plain string$/],
  ])('%s → %s', (err, want) => {
    expect(describeMqttError(err)).toMatch(want);
  });
});
