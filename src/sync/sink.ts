import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { parseUnitTopic, serverSubscriptions } from './topics.ts';

/**
 * Reference receiver ("central sink"): subscribes as the agency's server would (QoS 1, persistent
 * session), stores every unit message in its own SQLite file and de-duplicates on (type, id).
 * A second copy of an id counts as a duplicate; a copy whose content differs counts as a conflict
 * (the protocol promises that never happens). Tests and benchmarks use it to count loss.
 */
export interface SinkOptions {
  url: string;
  dbFile: string;
  topicBase: string;
  clientId?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  onMessage?: (type: string, id: string, duplicate: boolean) => void;
}

export interface SinkCounts {
  records: number;
  byType: Record<string, number>;
  duplicates: number;
  conflicts: number;
  malformed: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  type TEXT NOT NULL, id TEXT NOT NULL, agency TEXT NOT NULL, unit TEXT NOT NULL,
  received_at INTEGER NOT NULL, digest TEXT NOT NULL, payload TEXT NOT NULL,
  PRIMARY KEY (type, id)
);
CREATE TABLE IF NOT EXISTS counters (k TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS unit_status (agency TEXT, unit TEXT, state TEXT, at INTEGER, PRIMARY KEY (agency, unit));
`;

export class CentralSink {
  private db: Database.Database | null = null;
  private client: MqttClient | null = null;
  private st: Record<string, Database.Statement> = {};

  constructor(private readonly opts: SinkOptions) {}

  async start(): Promise<void> {
    const db = new Database(this.opts.dbFile);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    this.db = db;
    this.st = {
      insert: db.prepare(
        'INSERT OR IGNORE INTO records (type, id, agency, unit, received_at, digest, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      digest: db.prepare('SELECT digest FROM records WHERE type = ? AND id = ?').pluck(),
      bump: db.prepare('INSERT INTO counters (k, n) VALUES (?, 1) ON CONFLICT(k) DO UPDATE SET n = n + 1'),
      status: db.prepare(
        'INSERT INTO unit_status (agency, unit, state, at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET state = excluded.state, at = excluded.at',
      ),
    };
    const options: IClientOptions = {
      clientId: this.opts.clientId ?? 'alpr-central-sink',
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 86_400 },
      reconnectPeriod: 1000,
      rejectUnauthorized: true,
    };
    if (this.opts.ca) options.ca = this.opts.ca;
    if (this.opts.cert) options.cert = this.opts.cert;
    if (this.opts.key) options.key = this.opts.key;
    const client = mqtt.connect(this.opts.url, options);
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.end(true);
        reject(
          new AlprError(ErrorCodes.SYNC, `central sink cannot connect to ${this.opts.url}: ${err.message}`),
        );
      };
      client.once('error', fail);
      client.once('connect', () => {
        client.subscribe(serverSubscriptions(this.opts.topicBase), { qos: 1 }, (err) => {
          client.removeListener('error', fail);
          if (err) fail(err);
          else resolve();
        });
      });
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const where = parseUnitTopic(this.opts.topicBase, topic);
    let m: { type?: unknown; id?: unknown; state?: unknown; sentAt?: unknown };
    try {
      m = JSON.parse(payload.toString('utf8'));
    } catch {
      m = {};
    }
    if (!where || typeof m.type !== 'string' || typeof m.id !== 'string') {
      this.st.bump!.run('malformed');
      return;
    }
    if (m.type === 'status') {
      this.st.status!.run(where.agency, where.unit, String(m.state), Number(m.sentAt) || Date.now());
      return;
    }
    // Identity is the record, not the copy: sentAt differs between resends.
    const { sentAt: _sentAt, ...record } = m;
    const digest = createHash('sha256').update(JSON.stringify(record)).digest('hex');
    const text = payload.toString('utf8');
    const r = this.st.insert!.run(m.type, m.id, where.agency, where.unit, Date.now(), digest, text);
    const duplicate = r.changes === 0;
    if (duplicate) {
      this.st.bump!.run('duplicates');
      if (this.st.digest!.get(m.type, m.id) !== digest) this.st.bump!.run('conflicts');
    }
    this.opts.onMessage?.(m.type, m.id, duplicate);
  }

  counts(): SinkCounts {
    const db = this.db;
    if (!db) throw new AlprError(ErrorCodes.SYNC, 'sink not started');
    return sinkCounts(db);
  }

  /** Ids of one type in arrival order. */
  ids(type: string): string[] {
    return this.db!.prepare('SELECT id FROM records WHERE type = ? ORDER BY rowid')
      .pluck()
      .all(type) as string[];
  }

  /** Types in arrival order (to check hits before reads). */
  arrivalTypes(): string[] {
    return this.db!.prepare('SELECT type FROM records ORDER BY rowid').pluck().all() as string[];
  }

  unitStatus(agency: string, unit: string): string | null {
    const s = this.db!.prepare('SELECT state FROM unit_status WHERE agency = ? AND unit = ?')
      .pluck()
      .get(agency, unit);
    return (s as string | undefined) ?? null;
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await new Promise<void>((r) => c.end(false, {}, () => r()));
    this.db?.close();
    this.db = null;
  }
}

export function sinkCounts(db: Database.Database): SinkCounts {
  const byType: Record<string, number> = {};
  for (const r of db.prepare('SELECT type, count(*) AS n FROM records GROUP BY type').all() as {
    type: string;
    n: number;
  }[]) {
    byType[r.type] = r.n;
  }
  const counter = (k: string) =>
    (db.prepare('SELECT n FROM counters WHERE k = ?').pluck().get(k) as number) ?? 0;
  return {
    records: Object.values(byType).reduce((a, b) => a + b, 0),
    byType,
    duplicates: counter('duplicates'),
    conflicts: counter('conflicts'),
    malformed: counter('malformed'),
  };
}
