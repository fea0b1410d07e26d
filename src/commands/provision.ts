import { resolve } from 'node:path';
import type { Command } from 'commander';
import { activate } from '../provision/activate.ts';
import { inspectTarget } from '../provision/apply.ts';
import { DEFAULT_CHECK, provision, rollback } from '../provision/index.ts';

interface ProvisionCli {
  bundle?: string;
  root: string;
  unitId?: string;
  agency?: string;
  mode?: 'car' | 'trailer';
  cameras?: string;
  broker?: string;
  adminKey?: string[];
  cert?: string;
  key?: string;
  ca?: string;
  csr?: boolean;
  tpm?: boolean;
  check?: string[] | false;
  noCheck?: boolean;
  rollback?: boolean;
}

/** Repeatable options: no default value, so that the help shows only the default the text names. */
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** `alpr provision`: garage flashing and A/B updates (run by a technician, as root). */
export function registerProvisionCommand(program: Command): void {
  program
    .command('provision')
    .description(
      'Install a bundle onto a target root (SD card/eMMC image or /): release side by side with an atomic switch, unit identity, key pair and certificate request, admin keys, enabled service',
    )
    .option('--bundle <dir>', 'bundle folder (scripts/build-bundle.ts)')
    .requiredOption('--root <dir>', 'target root (/ on the unit itself)')
    .option('--unit-id <id>', 'unit identity (also the certificate CN)')
    .option('--agency <id>', 'agency identifier')
    .option('--mode <mode>', 'car or trailer', 'car')
    .option('--cameras <list>', 'camera layout: front:/dev/video0,rear:/dev/video2[:orientation]')
    .option('--broker <url>', 'agency broker URL (mqtts://host:8883); default: the bundle config')
    .option(
      '--admin-key <file>',
      'admin Ed25519 public key (PEM or base64) the unit pins; repeatable',
      collect,
    )
    .option('--cert <file>', 'issued unit certificate (PEM)')
    .option('--key <file>', 'the key the certificate was issued for, when not the unit’s own (PEM)')
    .option('--ca <file>', 'agency CA certificate for the broker (PEM)')
    .option('--csr', 'make the unit key and a certificate request (the default for a new unit)')
    .option(
      '--tpm',
      "seal the store key and the unit key to the unit's own TPM (systemd-creds; run on the unit itself, --root /); plain keys already there are sealed and removed",
    )
    .option('--no-tpm', 'keep the keys in plain files (a unit without a TPM: a stolen card gives them away)')
    .option(
      '--check <command>',
      `post-install check (sh; $ALPR_RELEASE, $ALPR_ROOT set); failing rolls back; repeatable (default: ${DEFAULT_CHECK})`,
      collect,
    )
    .option('--no-check', 'no post-install check (checksums are still verified)')
    .option('--rollback', 'switch back to the previous release')
    .action(async (o: ProvisionCli) => {
      if (o.rollback) {
        const [from, to] = rollback(o.root);
        process.stdout.write(`rolled back: ${from ?? '(none)'} -> ${to}\n`);
        for (const step of activate(o.root))
          if (step.problem !== null)
            process.stdout.write(`WARNING: ${step.command.join(' ')} failed (${step.problem})\n`);
        return;
      }
      if (!o.bundle) throw new Error('--bundle is required (or --rollback)');
      if (o.mode !== 'car' && o.mode !== 'trailer') throw new Error('--mode must be car or trailer');
      const checks = o.check === false ? [] : o.check;
      if (o.tpm === undefined && o.unitId && !inspectTarget(o.root).storeKey)
        throw new Error(
          "a new unit needs --tpm (keys sealed to this unit's TPM) or --no-tpm (plain key files: a unit without a TPM)",
        );
      const r = await provision({
        bundle: o.bundle,
        root: o.root,
        unitId: o.unitId,
        agency: o.agency,
        mode: o.mode,
        cameras: o.cameras,
        broker: o.broker,
        adminKeys: o.adminKey ?? [],
        cert: o.cert,
        key: o.key,
        ca: o.ca,
        csr: o.csr,
        keySealing: o.tpm === undefined ? undefined : o.tpm ? 'tpm2' : 'none',
        checks,
      });
      if (r.rolledBack) {
        process.stderr.write(
          `alpr: release ${r.version} failed its post-install check; back on ${r.previous ?? '(nothing: service left disabled)'}\n  ${r.failure}\n`,
        );
        process.exitCode = 1;
        return;
      }
      const lines = [
        r.inPlace
          ? `${r.version} is already current: identity and credentials updated`
          : `installed ${r.version}${r.previous ? ` (previous: ${r.previous})` : ''}; service enabled`,
        r.configWritten ? 'config written: etc/alpr/config.yaml' : 'config kept',
        r.keySealing === 'tpm2'
          ? "keys sealed to the unit's own TPM (etc/alpr/credentials/*.cred)"
          : 'WARNING: KEYS NOT SEALED: the store key and the unit key are plain files on the card (--no-tpm)',
      ];
      // Sealing goes to the TPM of the machine provision runs on: right on the unit (--root /), a
      // mistake on a workbench with the unit's card mounted (the unit could not open its keys).
      if (o.tpm && resolve(o.root) !== '/')
        lines.push(
          `WARNING: keys sealed to THIS machine's TPM, into ${o.root}: if that is a unit's card mounted here, the unit cannot open them; provision --tpm on the unit itself (--root /)`,
        );
      if (r.csr) lines.push(`certificate request for the agency CA: ${r.csr}`);
      // On the running unit itself: the user, the unit files and the LED rule take effect now.
      for (const step of activate(o.root))
        lines.push(
          step.problem === null
            ? `ran ${step.command.join(' ')}`
            : `WARNING: ${step.command.join(' ')} failed (${step.problem}): run it, or reboot, before starting alpr`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
