/**
 * Starts a real mosquitto on a free loopback port with a temp config, optionally with TLS
 * (a throw-away CA, server and client certificates made with openssl, require_certificate,
 * use_identity_as_username) and an ACL file. Used by the sync tests and the sync benchmark.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { waitPort } from './wait-port.ts';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
export const hasMosquitto = existsSync(MOSQUITTO);

export interface CertSet {
  dir: string;
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate and key file paths for a common name (the unit identity). */
  client(cn: string): { cert: string; key: string };
  /** A client certificate whose validity ended in 2020. */
  expiredClient(cn: string): { cert: string; key: string };
  /** Revokes a client certificate made by `client(cn)` and rewrites the CRL (restart the broker). */
  revoke(cn: string): void;
  /** The CRL file (empty until something is revoked). */
  crl: string;
}

const CA_CNF = `[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = none
unique_subject = no
[ policy_any ]
commonName = supplied
`;

export interface BrokerOptions {
  tls?: boolean;
  /** ACL file text (TLS mode: usernames are certificate CNs). */
  acl?: string;
  /** Check client certificates against the CA's CRL (CertSet.revoke, then restart). */
  crl?: boolean;
  /** Keep sessions and queued messages across restarts (saved on clean stop). Default true. */
  persistence?: boolean;
  /** Mosquitto's max_packet_size (bytes); default BROKER_MAX_PACKET_BYTES. */
  maxPacketSize?: number;
  /**
   * Run the shipped reference configuration (config/mosquitto/): its mosquitto.conf with this
   * test's port, paths and certificates, and its ACL for these names. Implies tls.
   */
  reference?: ReferenceNames;
}

/** The names the reference ACL template leaves open. */
export interface ReferenceNames {
  agency: string;
  /** The admin tool's certificate CN. */
  admin: string;
  /** The agency server's certificate CN. */
  server: string;
}

export const REFERENCE_DIR = fileURLToPath(new URL('../../config/mosquitto/', import.meta.url));

/** The reference ACL with its placeholders filled in. */
export function referenceAcl(n: ReferenceNames): string {
  return readFileSync(join(REFERENCE_DIR, 'alpr.acl'), 'utf8')
    .replaceAll('{{agency}}', n.agency)
    .replaceAll('{{admin}}', n.admin)
    .replaceAll('{{server}}', n.server);
}

/** Lines of the reference mosquitto.conf that name this host's port, files or log: the test's own replace them. */
const LOCAL_KEYS = new Set([
  'listener',
  'cafile',
  'certfile',
  'keyfile',
  'crlfile',
  'acl_file',
  'persistence_location',
  'log_dest',
]);

/** The reference mosquitto.conf's settings, without comments and host-specific lines. */
export function referenceSettings(): string[] {
  return readFileSync(join(REFERENCE_DIR, 'mosquitto.conf'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !LOCAL_KEYS.has(l.split(/\s+/)[0]!));
}

/**
 * The reference broker's packet cap: above every message of the contract (a hot-list manifest or
 * chunk at most 1 MiB, a roster at most 2 MiB, records far less), so a client that sends more is
 * disconnected by the broker before any unit sees it.
 */
export const BROKER_MAX_PACKET_BYTES = 4 * 1024 * 1024;

export interface Broker {
  port: number;
  url: string;
  dir: string;
  certs: CertSet | null;
  /** Starts it again on the same port and config (after stop). */
  start(): Promise<void>;
  /** SIGTERM and wait (mosquitto saves its persistence file on the way out). */
  stop(): Promise<void>;
  /** Sends a signal to the running broker (SIGSTOP freezes it with its sockets open; SIGCONT thaws it). */
  signal(sig: NodeJS.Signals): void;
  log(): string;
}

function ssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA with a server certificate for localhost/127.0.0.1; client certificates on demand. */
export function makeCerts(dir: string, caName = 'alpr-test-ca'): CertSet {
  mkdirSync(dir, { recursive: true });
  ssl(
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${caName}`],
    dir,
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = (name: string, cn: string, ext?: string) => {
    ssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    const extra = ext ? ['-extfile', ext] : [];
    ssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        ...extra,
      ],
      dir,
    );
  };
  sign('server', 'localhost', 'server.ext');
  writeFileSync(join(dir, 'ca.cnf'), CA_CNF);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const caArgs = ['-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key'];
  const gencrl = () => ssl(['ca', ...caArgs, '-gencrl', '-crldays', '2', '-out', 'crl.pem'], dir);
  gencrl();
  return {
    crl: join(dir, 'crl.pem'),
    expiredClient(cn: string) {
      const name = `expired-${cn}`;
      ssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
      ssl(
        [
          'ca',
          ...caArgs,
          '-notext',
          '-in',
          `${name}.csr`,
          '-out',
          `${name}.crt`,
          '-startdate',
          '20200101000000Z',
          '-enddate',
          '20200102000000Z',
        ],
        dir,
      );
      return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    },
    revoke(cn: string) {
      ssl(['ca', ...caArgs, '-revoke', `client-${cn}.crt`], dir);
      gencrl();
    },
    dir,
    ca: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    client(cn: string) {
      const name = `client-${cn}`;
      if (!existsSync(join(dir, `${name}.crt`))) sign(name, cn);
      return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    },
  };
}

export async function startMosquitto(opts: BrokerOptions = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'alpr-mosq-'));
  const port = await freePort();
  const certs = opts.tls || opts.reference ? makeCerts(join(dir, 'pki')) : null;
  if (opts.reference && certs) {
    return launch(
      dir,
      port,
      certs,
      [
        `listener ${port} 127.0.0.1`,
        `user ${userInfo().username}`,
        'log_dest stderr',
        `persistence_location ${dir}/`,
        ...tlsFiles(certs),
        `crlfile ${certs.crl}`,
        ...referenceSettings(),
      ],
      referenceAcl(opts.reference),
    );
  }
  const lines = [
    `listener ${port} 127.0.0.1`,
    // As root, mosquitto drops to user "mosquitto", which cannot write our temp folder.
    `user ${userInfo().username}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    `persistence ${opts.persistence === false ? 'false' : 'true'}`,
    `persistence_location ${dir}/`,
    // A server must never drop queued messages for a subscriber: no queue limit in tests.
    'max_queued_messages 0',
    'max_inflight_messages 100',
    `max_packet_size ${opts.maxPacketSize ?? BROKER_MAX_PACKET_BYTES}`,
  ];
  if (certs) {
    lines.push(
      ...tlsFiles(certs),
      'require_certificate true',
      'use_identity_as_username true',
      'allow_anonymous false',
    );
    if (opts.crl) lines.push(`crlfile ${certs.crl}`);
  } else {
    lines.push('allow_anonymous true');
  }
  return launch(dir, port, certs, lines, opts.acl);
}

function tlsFiles(certs: CertSet): string[] {
  return [`cafile ${certs.ca}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`];
}

async function launch(
  dir: string,
  port: number,
  certs: CertSet | null,
  lines: string[],
  acl: string | undefined,
): Promise<Broker> {
  if (acl !== undefined) {
    writeFileSync(join(dir, 'acl'), acl);
    lines.push(`acl_file ${join(dir, 'acl')}`);
  }
  writeFileSync(join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
  let child: ChildProcess | null = null;
  let logText = '';

  const broker: Broker = {
    port,
    url: `${certs ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    certs,
    async start() {
      if (child) return;
      const c = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = c;
      c.stderr?.on('data', (d: Buffer) => {
        logText += d.toString();
      });
      c.once('exit', () => {
        if (child === c) child = null;
      });
      if (!(await waitPort(port, 10_000, '127.0.0.1', 50))) {
        c.kill('SIGKILL');
        throw new Error(`mosquitto did not listen on ${port}:\n${logText}`);
      }
    },
    async stop() {
      const c = child;
      if (!c) return;
      await new Promise<void>((res) => {
        c.once('exit', () => res());
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 5000).unref();
      });
      child = null;
    },
    signal(sig) {
      if (!child) throw new Error('mosquitto is not running');
      child.kill(sig);
    },
    log: () => logText,
  };
  await broker.start();
  return broker;
}

/** Stops the broker and removes its folder. */
export async function destroyMosquitto(b: Broker | undefined): Promise<void> {
  if (!b) return;
  await b.stop();
  rmSync(b.dir, { recursive: true, force: true });
}

/** Copies CA and a client certificate into a credentials folder under the names the config uses. */
export function writeCredentials(
  dir: string,
  certs: CertSet,
  cn: string | { cert: string; key: string },
  caFrom: string = certs.ca,
): void {
  mkdirSync(dir, { recursive: true });
  const c = typeof cn === 'string' ? certs.client(cn) : cn;
  writeFileSync(join(dir, 'ca.crt'), readFileSync(caFrom));
  writeFileSync(join(dir, 'client.crt'), readFileSync(c.cert));
  writeFileSync(join(dir, 'client.key'), readFileSync(c.key));
}
