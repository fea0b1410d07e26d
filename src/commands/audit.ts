import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { credentialsDir, readSecret } from '../config/secrets.ts';
import { webSection } from '../config/sections/web.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { fieldSealer, type Sealer } from '../domain/seal.ts';
import { openWebDb } from '../web/db.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';

interface Opts {
  config: string;
  db?: string;
  keyFile?: string;
  json?: boolean;
}

/**
 * The database and the cipher of its sealed audit details: --db and --key-file when given, else
 * the config's <paths.dataDir>/<web.file> and its store key (store.keyFile in the credentials folder).
 */
function target(o: Opts): { file: string; cipher: Sealer } {
  const keyFile = o.keyFile;
  if (o.db && keyFile)
    return { file: o.db, cipher: fieldSealer('aes-256-gcm', () => readKey(keyFile), 'web') };
  const c = loadConfig(o.config);
  const file = o.db ?? join(c.paths.dataDir, webSection.parse(c.web ?? {}).file);
  const creds = credentialsDir(c.paths.credentialsDir);
  const read = keyFile ? () => readKey(keyFile) : () => readSecret(creds, c.store.keyFile);
  return { file, cipher: fieldSealer(c.store.encryption, read, 'web') };
}

function readKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new AlprError(ErrorCodes.SECRET_MISSING, `cannot read the key file ${file}`, { cause: err });
  }
}

/** `alpr audit …`: the hash-chained trail of searches and officer actions (policy rule 10). */
export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description("The officer's page audit trail (searches, image views, hit handling)");
  audit
    .command('verify')
    .description(
      'Check the hash chain of the audit trail (opens the sealed rows with the unit key); exit 1 and name the first bad row when broken',
    )
    .option('-c, --config <file>', 'unit config (paths.dataDir, web.file, store key)', DEFAULT_CONFIG)
    .option('--db <file>', 'web database file (overrides --config)')
    .option('--key-file <file>', 'the store key file (overrides the config credentials folder)')
    .option('--json', 'print JSON')
    .action((o: Opts) => {
      const { file, cipher } = target(o);
      const db = openWebDb(file, cipher);
      let v: ReturnType<typeof db.verifyAudit>;
      try {
        v = db.verifyAudit();
      } finally {
        db.close();
      }
      if (o.json) process.stdout.write(`${JSON.stringify(v)}\n`);
      else if (v.ok) process.stdout.write(`audit chain intact: ${v.rows} rows, head ${v.head}\n`);
      else process.stdout.write(`AUDIT CHAIN BROKEN at row ${v.firstBad}: ${v.why}\n`);
      process.exitCode = v.ok ? 0 : 1;
    });
}
