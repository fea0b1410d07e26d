import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { IClientOptions } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { pushRoster } from '../sync/roster.ts';
import { parseRoster } from '../web/roster.ts';
import { readUnitCerts, rosterCopyMaker } from './roster-copy.ts';

interface PushCli {
  file: string;
  key: string;
  keyId: string;
  url: string;
  agency: string;
  units: string;
  unitCerts: string;
  topicBase: string;
  format?: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
}

/**
 * `alpr roster push`: admins check a roster file (same rules as `roster import`; clear PINs are
 * hashed here), sign one copy per unit with their Ed25519 key and publish each retained on that
 * unit's own roster topic (the broker lets a unit read its own copy only). No copy carries a PIN
 * hash: each carries keyed verifiers under a key only its unit's TLS key opens (roster-copy.ts). Adds `push`
 * under the `roster` command group (created when absent).
 */
export function registerRosterPush(program: Command): void {
  const roster =
    program.commands.find((c) => c.name() === 'roster') ??
    program.command('roster').description('Users allowed to sign in on this unit');
  roster
    .command('push')
    .description('Sign a roster (CSV or JSON) with an admin key and publish a copy to each named unit')
    .requiredOption('--file <file>', 'roster CSV (badge,name,trained,pin_hash|pin,expires) or JSON')
    .requiredOption('--key <file>', 'admin Ed25519 private key (PEM; `alpr hotlist keygen` makes one)')
    .option('--key-id <id>', 'key id the units pinned (hotlist.adminKeys)', 'admin')
    .requiredOption('--url <url>', 'broker URL, mqtts://host:8883')
    .requiredOption('--agency <id>', 'agency id used in topics')
    .requiredOption('--units <ids>', 'the units to publish to, comma-separated (their certificate CNs)')
    .requiredOption(
      '--unit-certs <dir>',
      "folder of the units' certificates, <unit>.crt or <unit>.pem (each copy's PIN key is sealed to its unit)",
    )
    .option('--topic-base <base>', 'topic prefix', 'alpr')
    .option('--format <format>', 'csv or json (default: from the file name)')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--client-key <file>', 'client certificate key (PEM)')
    .action(async (o: PushCli) => {
      const format = (o.format ?? (extname(o.file).toLowerCase() === '.json' ? 'json' : 'csv')).toLowerCase();
      if (format !== 'csv' && format !== 'json')
        throw new AlprError(ErrorCodes.INPUT, '--format: csv or json');
      const units = parseUnits(o.units);
      const users = await parseRoster(readFileSync(o.file, 'utf8'), format);
      const certs = readUnitCerts(o.unitCerts, units);
      const options: IClientOptions = {};
      if (o.ca) options.ca = readFileSync(o.ca);
      if (o.cert) options.cert = readFileSync(o.cert);
      if (o.clientKey) options.key = readFileSync(o.clientKey);
      const msgs = await pushRoster({
        url: o.url,
        options,
        topicBase: o.topicBase,
        agency: o.agency,
        units,
        copyFor: rosterCopyMaker(o.agency, users, certs),
        privateKeyPem: readFileSync(o.key),
        keyId: o.keyId,
      });
      const trained = users.filter((u) => u.trained).length;
      process.stdout.write(
        `roster pushed to ${units.length} unit(s) of ${o.agency}: ${users.length} users (${trained} trained), ` +
          `signed by ${msgs[0]?.keyId ?? o.keyId}\n`,
      );
    });
}

/** Unit ids as topic levels: no wildcard, no separator, none empty, none twice. */
export function parseUnits(list: string): string[] {
  const units = list.split(',').map((u) => u.trim());
  const bad = units.find((u) => !/^[A-Za-z0-9._-]{1,64}$/.test(u));
  if (bad !== undefined) throw new AlprError(ErrorCodes.INPUT, `--units: "${bad}" is not a unit id`);
  if (new Set(units).size !== units.length)
    throw new AlprError(ErrorCodes.INPUT, '--units: a unit is named twice');
  return units;
}
