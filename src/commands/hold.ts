import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { IClientOptions } from 'mqtt';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { connectNegotiated } from '../sync/sink.ts';
import { signHoldCommands, topics } from '../sync/topics.ts';

interface HoldCli {
  unit: string;
  agency: string;
  ref: string;
  reads: string;
  release?: boolean;
  id?: string;
  key: string;
  keyId: string;
  url: string;
  topicBase: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
  protocolVersion: string;
}

/**
 * `alpr sync hold`: the server side of an evidence hold or release for one unit, signed with an
 * admin key the unit pins (units ignore unsigned commands). Publishes on the unit's command topic
 * with the server's certificate (the reference ACL lets no unit write there). Adds `hold` under the
 * `sync` command group (created when absent).
 */
export function registerHoldCommand(program: Command): void {
  const sync =
    program.commands.find((c) => c.name() === 'sync') ??
    program.command('sync').description('Upload to the central server');
  sync
    .command('hold')
    .description('Sign an evidence hold (or --release) for reads on one unit and send it')
    .requiredOption('--unit <id>', 'the unit holding the reads')
    .requiredOption('--agency <id>', 'agency id used in topics')
    .requiredOption('--ref <ref>', 'case or request reference (a release names the same one)')
    .requiredOption('--reads <ids>', 'read ids, comma-separated')
    .option('--release', 'release the hold instead of setting it')
    .option('--id <id>', 'request id (the unit answers with it; default: hold-<now in ms>)')
    .requiredOption('--key <file>', 'admin Ed25519 private key (PEM) the unit pins')
    .option('--key-id <id>', 'key id the units pinned (hotlist.adminKeys)', 'admin')
    .requiredOption('--url <url>', 'broker URL, mqtts://host:8883')
    .option('--topic-base <base>', 'topic prefix', 'alpr')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts')
    .option('--cert <file>', 'server client certificate (PEM)')
    .option('--client-key <file>', 'server client certificate key (PEM)')
    .option('--protocol-version <v>', '5 (3.1.1 when the broker refuses 5) or 4: MQTT 3.1.1', '5')
    .action(async (o: HoldCli) => {
      const readIds = o.reads.split(',').map((r) => r.trim());
      if (readIds.some((r) => !/^[A-Za-z0-9:_-]{1,128}$/.test(r)))
        throw new AlprError(ErrorCodes.INPUT, '--reads: read ids are [A-Za-z0-9:_-], comma-separated');
      const unit = { agency: o.agency, id: o.unit };
      // more reads than one command holds go as several (`<id>-1`, `<id>-2`…)
      const cmds = signHoldCommands(
        {
          id: o.id ?? `hold-${Date.now()}`,
          unit,
          action: o.release ? 'release' : 'hold',
          ref: o.ref,
          readIds,
          issuedAt: Date.now(),
        },
        readFileSync(o.key),
        o.keyId,
      );
      const options: IClientOptions = { reconnectPeriod: 0 };
      if (o.ca) options.ca = readFileSync(o.ca);
      if (o.cert) options.cert = readFileSync(o.cert);
      if (o.clientKey) options.key = readFileSync(o.clientKey);
      const client = await connectNegotiated(o.url, options, o.protocolVersion === '4' ? 4 : 5);
      try {
        for (const cmd of cmds)
          await client.publishAsync(topics(o.topicBase, unit).holdCommand, JSON.stringify(cmd), { qos: 1 });
      } catch (err) {
        throw new AlprError(ErrorCodes.SYNC, `the broker refused the command: ${(err as Error).message}`);
      } finally {
        await client.endAsync(true);
      }
      for (const cmd of cmds)
        process.stdout.write(
          `${cmd.action} ${cmd.id} sent to ${o.agency}/${o.unit}: ${cmd.readIds.length} read(s)\n`,
        );
    });
}
