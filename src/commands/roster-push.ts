import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { IClientOptions } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { pushRoster } from '../sync/roster.ts';
import { parseRoster } from '../web/roster.ts';

interface PushCli {
  file: string;
  key: string;
  keyId: string;
  url: string;
  agency: string;
  topicBase: string;
  format?: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
}

/**
 * `alpr roster push`: admins check a roster file (same rules as `roster import`; clear PINs are
 * hashed here, never sent), sign it with their Ed25519 key and publish it retained for every unit
 * of the agency. Adds `push` under the `roster` command group (created when absent).
 */
export function registerRosterPush(program: Command): void {
  const roster =
    program.commands.find((c) => c.name() === 'roster') ??
    program.command('roster').description('Users allowed to sign in on this unit');
  roster
    .command('push')
    .description('Sign a roster (CSV or JSON) with an admin key and publish it to every unit of the agency')
    .requiredOption('--file <file>', 'roster CSV (badge,name,trained,pin_hash|pin,expires) or JSON')
    .requiredOption('--key <file>', 'admin Ed25519 private key (PEM; `alpr hotlist keygen` makes one)')
    .option('--key-id <id>', 'key id the units pinned (hotlist.adminKeys)', 'admin')
    .requiredOption('--url <url>', 'broker URL, mqtts://host:8883')
    .requiredOption('--agency <id>', 'agency id used in topics')
    .option('--topic-base <base>', 'topic prefix', 'alpr')
    .option('--format <format>', 'csv or json (default: from the file name)')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--client-key <file>', 'client certificate key (PEM)')
    .action(async (o: PushCli) => {
      const format = (o.format ?? (extname(o.file).toLowerCase() === '.json' ? 'json' : 'csv')).toLowerCase();
      if (format !== 'csv' && format !== 'json')
        throw new AlprError(ErrorCodes.INPUT, '--format: csv or json');
      const users = await parseRoster(readFileSync(o.file, 'utf8'), format);
      const options: IClientOptions = {};
      if (o.ca) options.ca = readFileSync(o.ca);
      if (o.cert) options.cert = readFileSync(o.cert);
      if (o.clientKey) options.key = readFileSync(o.clientKey);
      const msg = await pushRoster({
        url: o.url,
        options,
        topicBase: o.topicBase,
        agency: o.agency,
        users,
        privateKeyPem: readFileSync(o.key),
        keyId: o.keyId,
      });
      const trained = users.filter((u) => u.trained).length;
      process.stdout.write(
        `roster pushed to ${o.agency}: ${users.length} users (${trained} trained), signed by ${msg.keyId}\n`,
      );
    });
}
