import { appendFileSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { openPostgres } from '../central/pg-client.ts';
import { PostgresCentralStore } from '../central/pg-store.ts';
import { checkRetentionDays } from '../central/retention.ts';
import { MAX_ASKS } from '../sync/reconcile.ts';
import { CentralSink, type ResendReport, type SinkOptions, sinkCounts } from '../sync/sink.ts';

interface SinkCli {
  url: string;
  db?: string;
  topicBase: string;
  clientId: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
  reportEvery?: string;
  clusterUrl?: string[];
  protocolVersion: string;
  partition?: string;
  copies: string;
  postgres?: string;
  retentionDays: string;
  purgeEveryS: string;
  adminKey?: string[];
  trace?: string;
  resendAfterS: string;
}

/** `--admin-key id=<base64 public key>` as units pin it (hotlist.adminKeys). */
function parseAdminKey(v: string): { id: string; publicKey: string } {
  const at = v.indexOf('=');
  if (at < 1) throw new AlprError(ErrorCodes.INPUT, `--admin-key ${v}: must be id=<base64 public key>`);
  return { id: v.slice(0, at), publicKey: v.slice(at + 1) };
}

/** `--partition 2/4` → { index: 1, count: 4 } (partitions are numbered from 1 on the command line). */
export function parsePartition(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const i = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || n > 1024 || i < 1 || i > n)
    throw new AlprError(ErrorCodes.INPUT, `--partition ${v}: must be i/n with 1 ≤ i ≤ n ≤ 1024`);
  return { index: i - 1, count: n };
}

function protocolOf(v: string): 4 | 5 {
  if (v !== '4' && v !== '5')
    throw new AlprError(ErrorCodes.INPUT, '--protocol-version: 4 (MQTT 3.1.1) or 5');
  return Number(v) as 4 | 5;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** `alpr central-sink` (reference receiver) and `alpr sync …` subcommands. */
export function registerSyncCommands(program: Command): void {
  program
    .command('central-sink')
    .description(
      'Reference receiver: subscribes as the central server would, stores unit messages in SQLite, de-duplicates by id and counts duplicates',
    )
    .requiredOption('--url <url>', 'broker URL, e.g. mqtts://broker:8883')
    .option('--db <file>', 'SQLite file to store what arrives (created if missing; the demo store)')
    .option('--topic-base <base>', 'topic prefix', 'alpr')
    .option('--client-id <id>', 'MQTT client id (persistent session)', 'alpr-central-sink')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--client-key <file>', 'client certificate key (PEM)')
    .option('--report-every <s>', 'print counts every N seconds (0 = only at exit; default: 10)')
    .option('--cluster-url <url>', 'another node of a clustered broker (repeat for each)', collect)
    .option('--protocol-version <v>', '5 (3.1.1 when the broker refuses 5) or 4: MQTT 3.1.1', '5')
    .option(
      '--partition <i/n>',
      'store only the units of partition i of n (run n receivers, each with its own i); the others are acknowledged untouched',
    )
    .option(
      '--copies <k>',
      'with --partition: receiver i stores partitions i to i+k-1, so each is stored by k receivers, so one crashing loses nothing',
      '1',
    )
    .option(
      '--postgres <url>',
      'store in PostgreSQL (postgres://user@host/db; needs the pg package) instead of the SQLite file, with retention and legal holds',
    )
    .option(
      '--retention-days <n>',
      'PostgreSQL: keep detection data this long (90 to 730, policy rule 8)',
      '365',
    )
    .option('--purge-every-s <s>', 'PostgreSQL: run the retention purge this often (seconds)', '3600')
    .option(
      '--trace <file>',
      'append each delivery (packet id, topic, record id) and its acknowledgement to FILE: which records reached this receiver',
    )
    .option(
      '--resend-after-s <s>',
      'ask a unit to send again an hour of reads its tally counts delivered but the store is still short of this long after (0 = never)',
      '600',
    )
    .option(
      '--admin-key <id=key>',
      'PostgreSQL: an admin public key (as units pin it) whose signed hold commands the store obeys (repeat for each)',
      collect,
    )
    .action(async (o: SinkCli) => {
      if (!o.db === !o.postgres)
        throw new AlprError(ErrorCodes.INPUT, 'give one store: --db FILE or --postgres URL');
      const opts: SinkOptions = {
        url: o.url,
        clusterUrls: o.clusterUrl ?? [],
        ...(o.db ? { dbFile: o.db } : {}),
        topicBase: o.topicBase,
        clientId: o.clientId,
        protocolVersion: protocolOf(o.protocolVersion),
        // Not acknowledged: the receiver reconnects shortly and the broker sends the message again.
        onStoreError: (err) =>
          process.stderr.write(`central-sink: not stored, left unacknowledged: ${(err as Error).message}\n`),
        onRefused: (err) =>
          process.stderr.write(
            `central-sink: refused by the store, counted as malformed: ${(err as Error).message}\n`,
          ),
      };
      // An operator sees when the receiver lost the broker and where it came back.
      opts.onConnection = (event, url) =>
        process.stderr.write(
          event === 'lost'
            ? 'central-sink: connection to the broker lost, reconnecting\n'
            : `central-sink: reconnected to ${url}\n`,
        );
      const resendAfterS = Number(o.resendAfterS);
      if (!Number.isFinite(resendAfterS) || resendAfterS < 0)
        throw new AlprError(
          ErrorCodes.INPUT,
          `--resend-after-s ${o.resendAfterS}: must be 0 or more seconds`,
        );
      opts.resendAfterMs = resendAfterS * 1000;
      const hours = (r: ResendReport) =>
        `${r.agency}/${r.unit} ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}: the unit counts ${r.reads} read(s) and ${r.hits} hit(s) delivered that the store lacks`;
      opts.onResend = (r) => process.stderr.write(`central-sink: ${hours(r)}; asked for that hour again\n`);
      opts.onGiveUp = (r) =>
        process.stderr.write(
          `central-sink: ERROR ${hours(r)}, still, after ${MAX_ASKS} asks; not asked again\n`,
        );
      opts.onResendFailed = (agency, unit, err) =>
        process.stderr.write(
          `central-sink: the broker refused a resend command to ${agency}/${unit}: ${err.message}\n`,
        );
      if (o.partition) opts.partition = { ...parsePartition(o.partition), copies: Number(o.copies) };
      if (o.trace) {
        const file = o.trace;
        opts.trace = (line) => appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
      }
      if (o.postgres) {
        // The retention is checked (90..730 days) before anything is opened.
        const days = Number(o.retentionDays);
        checkRetentionDays(days);
        const sql = await openPostgres(o.postgres, 4, (err) =>
          process.stderr.write(
            `central-sink: an idle database connection was lost (${err.message}); opening another\n`,
          ),
        );
        opts.store = new PostgresCentralStore(sql, days);
        opts.adminKeys = (o.adminKey ?? []).map(parseAdminKey);
        opts.purgeEveryMs = Number(o.purgeEveryS) * 1000;
        opts.onPurge = (p) => process.stderr.write(`central-sink: purge ${JSON.stringify(p)}\n`);
        opts.onHold = (h) =>
          process.stderr.write(
            `central-sink: ${h.ok ? `${h.cmd.action} ${h.cmd.id} applied (${h.changed} row(s) changed)` : `hold command refused: ${h.problem}`}\n`,
          );
      } else if (o.adminKey?.length)
        // holds and retention live in the agency's PostgreSQL store only: say so, not silently
        process.stderr.write('central-sink: --admin-key applies with --postgres only (holds); ignored\n');
      if (o.ca) opts.ca = readFileSync(o.ca);
      if (o.cert) opts.cert = readFileSync(o.cert);
      if (o.clientKey) opts.key = readFileSync(o.clientKey);
      const sink = new CentralSink(opts);
      await sink.start();
      const report = () =>
        process.stdout.write(`${JSON.stringify(o.postgres ? sink.stats : sink.counts())}\n`);
      process.stderr.write(
        `central-sink: subscribed on ${o.url} under ${o.topicBase}/+/+/…; storing in ${o.postgres ? 'PostgreSQL' : o.db}\n`,
      );
      const every = Number(o.reportEvery ?? 10);
      const timer = every > 0 ? setInterval(report, every * 1000) : null;
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (timer) clearInterval(timer);
      report();
      await sink.stop();
    });

  const sync = program.command('sync').description('Upload to the central server');
  sync
    .command('sink-report')
    .description('Counts in a central-sink database: records by type, duplicates, conflicts')
    .requiredOption('--db <file>', 'central-sink SQLite file')
    .action((o: { db: string }) => {
      const db = new Database(o.db, { readonly: true, fileMustExist: true });
      try {
        process.stdout.write(`${JSON.stringify(sinkCounts(db))}\n`);
      } finally {
        db.close();
      }
    });
}
