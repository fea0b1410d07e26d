/** The project's demo fixtures (fixtures/demo): its folder, and each frame's file and plate. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CentralSink } from '../../src/sync/sink.ts';
import { type Broker, writeCredentials } from './mosquitto.ts';

export const DEMO = resolve(import.meta.dirname, '../../fixtures/demo');
export const DEMO_FRAMES = join(DEMO, 'frames');

/** fixtures/demo/plates.json: the plate shown on each demo frame, and its state's name, in frame order. */
export const DEMO_PLATES = JSON.parse(readFileSync(join(DEMO, 'plates.json'), 'utf8')) as {
  file: string;
  plate: string;
  state: string;
}[];
/** The hot-list plate of the demo (fixtures/demo/hotlist.csv). */
export const DEMO_HOT = '4RDW219';

/**
 * The config of a daemon run on the demo fixtures: the demo frames once at 1 fps, the demo route
 * replayed at 4×, the demo hot list as LOCAL, vehicles left after 1 s, console alerts without
 * reads, health and page on free ports. `sync` is the YAML flow mapping of the sync section.
 */
export function demoDaemonConfig(o: {
  unit: string;
  agency: string;
  dataDir: string;
  credentialsDir: string;
  sync: string;
}): string {
  const fixtures = resolve(DEMO, '..');
  return `version: 1
unit: { id: ${o.unit}, agency: ${o.agency}, mode: car }
paths: { dataDir: ${o.dataDir}, credentialsDir: ${o.credentialsDir} }
log: { level: info }
cameras:
  - { id: front, type: file, orientation: front, path: ${DEMO_FRAMES}, fps: 1, loop: false }
gps: { type: replay, path: ${join(fixtures, 'gps/demo-route.nmea')}, speed: 4, loop: true }
hotlist: { seedCsv: [{ list: LOCAL, path: ${join(DEMO, 'hotlist.csv')} }] }
track: { leaveMs: 1000 }
sync: ${o.sync}
alerts: { console: true, showReads: false }
health: { http: { port: 0 } }
web: { port: 0 }
`;
}

/**
 * A demo unit's folders under `tmp` (data, and credentials holding only a store key) and its
 * config file (demoDaemonConfig with `sync`): what a test runs `alpr run --config` on.
 */
export function writeDemoUnit(
  tmp: string,
  o: { unit: string; agency: string; sync: string },
): { config: string; data: string; creds: string } {
  const data = join(tmp, 'data');
  const creds = join(tmp, 'creds');
  mkdirSync(data, { recursive: true });
  mkdirSync(creds, { recursive: true });
  writeFileSync(join(creds, 'store.key'), 'ab'.repeat(32));
  const config = join(tmp, 'config.yaml');
  writeFileSync(config, demoDaemonConfig({ ...o, dataDir: data, credentialsDir: creds }));
  return { config, data, creds };
}

/**
 * A demo daemon set up against a TLS broker, as a unit and its agency would be: the unit's
 * credentials folder (its certificate and a store key) under `tmp`, the reference receiver
 * storing what arrives into `tmp/sink.sqlite` with the certificate `serverCn`, and the daemon's
 * config file (demoDaemonConfig syncing to the broker; `edit` may change its YAML).
 */
export async function demoUnitOnBroker(o: {
  tmp: string;
  broker: Broker;
  unit: string;
  agency: string;
  serverCn: string;
  edit?: (yaml: string) => string;
}): Promise<{ sink: CentralSink; config: string }> {
  const certs = o.broker.certs!;
  const creds = join(o.tmp, 'creds');
  writeCredentials(creds, certs, o.unit);
  writeFileSync(join(creds, 'store.key'), randomBytes(32).toString('hex'));
  const server = certs.client(o.serverCn);
  const sink = new CentralSink({
    url: o.broker.url,
    dbFile: join(o.tmp, 'sink.sqlite'),
    topicBase: 'alpr',
    ca: readFileSync(certs.ca),
    cert: readFileSync(server.cert),
    key: readFileSync(server.key),
  });
  await sink.start();
  mkdirSync(join(o.tmp, 'data'));
  const config = join(o.tmp, 'config.yaml');
  const yaml = demoDaemonConfig({
    unit: o.unit,
    agency: o.agency,
    dataDir: join(o.tmp, 'data'),
    credentialsDir: creds,
    sync: `{ type: mqtt, url: '${o.broker.url}', caFile: ca.crt, certFile: client.crt, keyFile: client.key }`,
  });
  writeFileSync(config, o.edit ? o.edit(yaml) : yaml);
  return { sink, config };
}
