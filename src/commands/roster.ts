import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { credentialsDir, readSecret } from '../config/secrets.ts';
import { aesSealer, fieldSealer, parseKey, type Sealer } from '../domain/seal.ts';
import { webSection } from '../config/sections/web.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { openWebDb } from '../web/db.ts';
import { hashPin, pinProblem } from '../web/pin.ts';
import { parseRoster } from '../web/roster.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';

/** The web stage's database: --db, else <paths.dataDir>/<web.file> of the config. */
function dbPath(o: { db?: string; config: string }): string {
  if (o.db) return o.db;
  const c = loadConfig(o.config) as { paths: { dataDir: string }; web?: unknown };
  return join(c.paths.dataDir, webSection.parse(c.web ?? {}).file);
}

/**
 * The page's field cipher: the roster is stored as keyed verifiers, their key sealed with the store
 * key (--key-file, else the config's store key in its credentials folder, sealed keys opened with
 * the TPM).
 */
function webCipher(o: { keyFile?: string; config: string }): Sealer {
  if (o.keyFile) return aesSealer(parseKey(readFileSync(o.keyFile)), 'web');
  const c = loadConfig(o.config) as {
    paths: { credentialsDir?: string };
    store: { encryption: 'aes-256-gcm' | 'none'; keyFile: string };
  };
  const creds = credentialsDir(c.paths.credentialsDir);
  return fieldSealer(c.store.encryption, () => readSecret(creds, c.store.keyFile), 'web');
}

/** `alpr roster …`: the users allowed to operate this unit (policy rule 1). */
export function registerRosterCommands(program: Command): void {
  const roster = program.command('roster').description('Users allowed to sign in on this unit');
  roster
    .command('import <file>')
    .description(
      'Replace the roster with a CSV (badge,name,trained,pin_hash|pin,expires) or JSON file; clear PINs are hashed (scrypt)',
    )
    .option('-c, --config <file>', 'unit config (for paths.dataDir and web.file)', DEFAULT_CONFIG)
    .option('--db <file>', 'web database file (overrides --config)')
    .option('--key-file <file>', 'store key file (32 bytes raw, hex or base64; overrides --config)')
    .option('--format <format>', 'csv or json (default: from the file name)')
    .action(async (file: string, o: { config: string; db?: string; keyFile?: string; format?: string }) => {
      const format = (o.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'csv')).toLowerCase();
      if (format !== 'csv' && format !== 'json')
        throw new AlprError(ErrorCodes.INPUT, '--format: csv or json');
      const entries = await parseRoster(readFileSync(file, 'utf8'), format);
      const db = openWebDb(dbPath(o), webCipher(o));
      try {
        db.replaceRoster(entries, Date.now());
      } finally {
        db.close();
      }
      const trained = entries.filter((e) => e.trained).length;
      process.stdout.write(`roster imported: ${entries.length} users (${trained} trained)\n`);
    });
  roster
    .command('hash-pin')
    .description('Print the scrypt hash of a PIN read from standard input (for roster files)')
    .action(async () => {
      const pin = readFileSync(0, 'utf8').trim();
      const problem = pinProblem(pin);
      if (problem) throw new AlprError(ErrorCodes.INPUT, problem);
      process.stdout.write(`${await hashPin(pin)}\n`);
    });
}
