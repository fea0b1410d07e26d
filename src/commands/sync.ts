import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { CentralSink, type SinkOptions, sinkCounts } from '../sync/sink.ts';

interface SinkCli {
  url: string;
  db: string;
  topicBase: string;
  clientId: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
  reportEvery?: string;
}

/** `alpr central-sink` (reference receiver) and `alpr sync …` subcommands. */
export function registerSyncCommands(program: Command): void {
  program
    .command('central-sink')
    .description(
      'Reference receiver: subscribes as the central server would, stores unit messages in SQLite, de-duplicates by id and counts duplicates',
    )
    .requiredOption('--url <url>', 'broker URL, e.g. mqtts://broker:8883')
    .requiredOption('--db <file>', 'SQLite file to store what arrives (created if missing)')
    .option('--topic-base <base>', 'topic prefix', 'alpr')
    .option('--client-id <id>', 'MQTT client id (persistent session)', 'alpr-central-sink')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--client-key <file>', 'client certificate key (PEM)')
    .option('--report-every <s>', 'print counts every N seconds (0 = only at exit; default: 10)')
    .action(async (o: SinkCli) => {
      const opts: SinkOptions = { url: o.url, dbFile: o.db, topicBase: o.topicBase, clientId: o.clientId };
      if (o.ca) opts.ca = readFileSync(o.ca);
      if (o.cert) opts.cert = readFileSync(o.cert);
      if (o.clientKey) opts.key = readFileSync(o.clientKey);
      const sink = new CentralSink(opts);
      await sink.start();
      const report = () => process.stdout.write(`${JSON.stringify(sink.counts())}\n`);
      process.stderr.write(
        `central-sink: subscribed on ${o.url} under ${o.topicBase}/+/+/…; storing in ${o.db}\n`,
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
