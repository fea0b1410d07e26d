import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { IClientOptions } from 'mqtt';
import { loadConfig } from '../config/load.ts';
import { credentialsDir, readSecret } from '../config/secrets.ts';
import { adminKeyId } from '../provision/plan.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { aesSealer, fieldSealer, parseKey, type Sealer } from '../domain/seal.ts';
import { CSV_COLUMNS, type CsvError, csvEntries, fileLines, validateCsv } from '../hotlist/csv.ts';
import { matchRead } from '../hotlist/match.ts';
import { officerPlateEntry } from '../hotlist/officer.ts';
import { generateAdminKey, hotlistStatus, publishedVersions, pushHotlist } from '../hotlist/push.ts';
import { HotlistStore } from '../hotlist/store.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';
/** The admin's record of the last pushed version of each list (for deltas). */
const DEFAULT_ADMIN_STATE =
  process.env.ALPR_ADMIN_STATE ??
  join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'alpr-admin', 'hotlist');

/** The CSV format, in full, where a command takes a list file (the columns: src/hotlist/csv.ts). */
const CSV_FILE_HELP = `the list as CSV, one entry per line, under a header naming its columns in any order: ${CSV_COLUMNS.join(
  ',',
)} (plate required; priority 1-9, default 5; informational/shareable true or false; expires ISO 8601, empty = until replaced)`;

/** Repeatable options: no default value, so that the help shows none. */
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

interface DbOpts {
  db?: string;
  config: string;
  keyFile?: string;
}

/** The unit's hot-list database: --db, else <paths.dataDir>/hotlist.sqlite of the config. */
function dbPath(o: DbOpts): string {
  return o.db ?? join(loadConfig(o.config).paths.dataDir, 'hotlist.sqlite');
}

/**
 * The unit's hot-list database, its rows sealed with the store key (`hotlist` sub-keys): from
 * --key-file, else the config's store key in its credentials folder (sealed keys opened with the TPM).
 */
function openStore(o: DbOpts): HotlistStore {
  let sealer: Sealer;
  if (o.keyFile) sealer = aesSealer(parseKey(readFileSync(o.keyFile)), 'hotlist');
  else {
    const c = loadConfig(o.config);
    const creds = credentialsDir(c.paths.credentialsDir);
    sealer = fieldSealer(c.store.encryption, () => readSecret(creds, c.store.keyFile), 'hotlist');
  }
  return new HotlistStore(dbPath(o), { sealer });
}

function withDb(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'unit config (for paths.dataDir and the store key)', DEFAULT_CONFIG)
    .option('--db <file>', 'hot-list database file (overrides --config)')
    .option('--key-file <file>', 'store key file (32 bytes raw, hex or base64; overrides --config)');
}

interface BrokerCli {
  url: string;
  agency: string;
  topicBase: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
}

function withBroker(cmd: Command): Command {
  return cmd
    .requiredOption('--url <url>', 'broker URL, mqtts://host:8883')
    .requiredOption('--agency <id>', 'agency id used in topics')
    .option('--topic-base <base>', 'topic prefix', 'alpr')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--client-key <file>', 'client certificate key (PEM)');
}

function brokerOptions(o: BrokerCli) {
  const options: IClientOptions = {};
  if (o.ca) options.ca = readFileSync(o.ca);
  if (o.cert) options.cert = readFileSync(o.cert);
  if (o.clientKey) options.key = readFileSync(o.clientKey);
  return { url: o.url, options, topicBase: o.topicBase, agency: o.agency };
}

/** "2026-01-01T10:00Z", or relative: "90m", "24h", "30d". */
export function parseWhen(v: string, now: number): number {
  const rel = /^(\d+)\s*([mhd])$/.exec(v.trim());
  if (rel) return now + Number(rel[1]) * { m: 60_000, h: 3600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'];
  const t = Date.parse(v);
  if (!Number.isFinite(t))
    throw new AlprError(ErrorCodes.INPUT, `"${v}" is not a date-time or a duration like 24h`);
  return t;
}

const csvFailure = (errors: CsvError[], what: string) =>
  new AlprError(
    ErrorCodes.HOTLIST_CSV,
    `${errors.length} bad row(s): ${what} refused (--skip-bad to drop them)`,
    {
      details: errors.slice(0, 200).map((e) => `line ${e.line}: ${e.message}`),
    },
  );

/** `alpr hotlist …` subcommands. */
export function registerHotlistCommands(program: Command): void {
  const hl = program
    .command('hotlist')
    .description('Hot lists: import, officer hot plates, signed push, status');

  hl.command('keygen')
    .description('Make an admin Ed25519 key pair: private key to a file, public key for units’ config')
    .requiredOption('--out <file>', 'private key file to write (PEM, mode 0600)')
    .action((o: { out: string }) => {
      const k = generateAdminKey();
      // the public key beside it, named as provision pins it: `--admin-key admin.pub` pins id "admin"
      const pub = `${o.out.replace(/\.(key|pem)$/, '')}.pub`;
      const id = adminKeyId(pub);
      // neither file is overwritten, and none is written unless both can be
      for (const f of [o.out, pub])
        if (existsSync(f))
          throw new AlprError(ErrorCodes.INPUT, `${f} exists already: keygen overwrites no key`);
      writeFileSync(o.out, k.privateKeyPem, { mode: 0o600, flag: 'wx' });
      writeFileSync(pub, `${k.publicKey}\n`, { mode: 0o644, flag: 'wx' });
      process.stdout.write(
        [
          `private key: ${o.out} (stays with the admin)`,
          `public key:  ${pub} (alpr provision --admin-key ${pub} pins it on a unit as id "${id}")`,
          `push with:   --key ${o.out} --key-id ${id}`,
          `unit config: hotlist.adminKeys: [{ id: ${id}, publicKey: ${k.publicKey} }]`,
          '',
        ].join('\n'),
      );
    });

  withBroker(
    hl
      .command('push')
      .description('Validate, sign and publish a list version to the units')
      .requiredOption('--list <name>', 'list name, e.g. SVS, SFR, SPECIAL')
      .requiredOption('--file <csv>', CSV_FILE_HELP)
      .requiredOption('--key <file>', 'admin Ed25519 private key (PEM)')
      .option('--key-id <id>', 'key id the units pinned', 'admin')
      .option('--skip-bad', 'drop bad rows instead of refusing the push')
      .option('--allow-empty', 'publish a list with no entries: every unit then holds none')
      .option('--list-version <n>', 'list version (default: now in ms)', Number)
      .option('--delta', 'publish only the changes against the previous pushed version')
      .option(
        '--trust <id=publicKey>',
        "another admin's key (as units pin it) whose retained versions count; repeatable",
        collect,
      )
      .option('--state-dir <dir>', 'where the last pushed version of each list is kept', DEFAULT_ADMIN_STATE),
  ).action(
    async (
      o: BrokerCli & {
        list: string;
        file: string;
        key: string;
        keyId: string;
        skipBad?: boolean;
        allowEmpty?: boolean;
        listVersion?: number;
        delta?: boolean;
        stateDir: string;
        trust?: string[];
      },
    ) => {
      const bar = new SingleBar({ format: ' {phase} [{bar}] {value}/{total}', stream: process.stderr });
      let started = false;
      const { manifest, errors, delta } = await pushHotlist({
        ...brokerOptions(o),
        list: o.list.toUpperCase(),
        file: o.file,
        privateKeyPem: readFileSync(o.key),
        keyId: o.keyId,
        skipBad: o.skipBad,
        allowEmpty: o.allowEmpty === true,
        version: o.listVersion,
        delta: o.delta === true,
        stateDir: o.stateDir,
        trustedKeys: (o.trust ?? []).map(parseTrust),
        onProgress: (phase, done, total) => {
          if (phase !== 'publish') return;
          if (!started) bar.start(total, 0, { phase });
          started = true;
          bar.update(done, { phase });
        },
      });
      if (started) bar.stop();
      for (const e of errors) process.stderr.write(`skipped line ${e.line}: ${e.message}\n`);
      if (delta) {
        process.stdout.write(
          `${manifest.list} version ${manifest.listVersion}: delta from ${manifest.baseVersion}, ` +
            `${delta.removes} removed, ${delta.adds} added (${manifest.entries} entries), ` +
            `${manifest.bytes} bytes compressed, signed by ${manifest.keyId}\n`,
        );
        return;
      }
      process.stdout.write(
        `${manifest.list} version ${manifest.listVersion}: ${manifest.entries} entries, ${manifest.chunks.length} chunk(s), ` +
          `${manifest.bytes} bytes compressed, signed by ${manifest.keyId}\n`,
      );
    },
  );

  withBroker(
    hl
      .command('status')
      .description('Which units run which version of each list (from their acks)')
      .option(
        '--trust <id=publicKey>',
        'count only published versions signed by this admin key (as units pin it); repeatable',
        collect,
      ),
  ).action(async (o: BrokerCli & { trust?: string[] }) => {
    const trusted = o.trust?.length ? o.trust.map(parseTrust) : undefined;
    // One connection after the other: the agency's broker takes a certificate's name as the client
    // id, so a second connection at the same time would throw the first off.
    const acks = await hotlistStatus(brokerOptions(o));
    const published = await publishedVersions(brokerOptions(o), 1000, trusted);
    const now = Date.now();
    for (const [list, p] of published) {
      const age = ((now - p.issuedAt) / 3600_000).toFixed(1);
      process.stdout.write(`published ${list.padEnd(18)} ${String(p.listVersion).padEnd(15)} ${age} h old\n`);
    }
    if (acks.length === 0) process.stdout.write('no unit has acknowledged a hot list yet\n');
    for (const a of acks) {
      const latest = published.get(a.list)?.listVersion;
      const where = latest === undefined ? '' : a.current >= latest ? '  up to date' : '  BEHIND';
      const last =
        a.last.status === 'applied' ? '' : `  last ${a.last.listVersion} rejected: ${a.last.reason}`;
      process.stdout.write(
        `${a.unit.padEnd(20)} ${a.list.padEnd(18)} ${String(a.current).padEnd(15)}${where}${last}\n`,
      );
    }
  });

  withDb(
    hl
      .command('import')
      .description('Load a CSV as a new version of a list on this unit (demo, bench, recovery)')
      .requiredOption('--list <name>', 'list name')
      .requiredOption('--file <csv>', CSV_FILE_HELP)
      .option('--skip-bad', 'drop bad rows instead of refusing')
      .option('--allow-empty', 'load a file without rows: the list then has no entries'),
  ).action(async (o: DbOpts & { list: string; file: string; skipBad?: boolean; allowEmpty?: boolean }) => {
    const list = o.list.toUpperCase();
    const now = Date.now();
    const ctx = { list, now, source: `import:${o.file}` };
    const check = await validateCsv(fileLines(o.file), ctx);
    if (check.errors.length > 0 && !o.skipBad) throw csvFailure(check.errors, 'import');
    // a header and nothing else (an export cut short, the wrong file) must not empty a list
    if (check.rows === 0 && !o.allowEmpty)
      throw new AlprError(
        ErrorCodes.HOTLIST_CSV,
        `${o.file} holds no rows: ${list} is kept as it is (--allow-empty to empty it on purpose)`,
      );
    const store = openStore(o);
    try {
      const version = Math.max(now, (store.list(list)?.version ?? 0) + 1);
      const n = await store.applyVersion(
        { list, version, issuedAt: now, source: ctx.source, expectedEntries: check.rows },
        csvEntries(fileLines(o.file), ctx, () => {}),
      );
      process.stdout.write(
        `${list} version ${version}: ${n} entries (${check.errors.length} bad rows skipped)\n`,
      );
    } finally {
      store.close();
    }
  });

  withDb(
    hl
      .command('add')
      .description(
        'Enter an officer hot plate (list LOCAL); expiry ≤ 24 h if in state/national systems, else ≤ 30 days',
      )
      .requiredOption('--plate <plate>', 'plate; * for one unknown character (at most 2)')
      .option('--state <st>', '2-letter state')
      .option('--case <number>', 'case number (or --xref)')
      .option('--xref <xref>', "subject's XREF when there is no case")
      .option('--reason <text>', 'reason for entry (required)')
      .option('--officer <name>', 'entering officer')
      .option('--phone <phone>', "officer's phone")
      .option('--synopsis <text>', 'short synopsis')
      .option('--expires <when>', 'ISO date-time or 90m / 24h / 30d (required)')
      .option('--in-state-systems', 'the plate is also entered in state/national systems (24 h cap)')
      .option('--priority <n>', '1 (most urgent) .. 9', Number),
  ).action(
    (
      o: DbOpts & {
        plate: string;
        state?: string;
        case?: string;
        xref?: string;
        reason?: string;
        officer?: string;
        phone?: string;
        synopsis?: string;
        expires?: string;
        inStateSystems?: boolean;
        priority?: number;
      },
    ) => {
      const now = Date.now();
      const entry = officerPlateEntry(
        {
          plate: o.plate,
          state: o.state,
          caseNumber: o.case,
          xref: o.xref,
          reason: o.reason,
          officerName: o.officer,
          officerPhone: o.phone,
          synopsis: o.synopsis,
          expires: o.expires === undefined ? undefined : parseWhen(o.expires, now),
          inStateSystems: o.inStateSystems === true,
          priority: o.priority,
        },
        now,
      );
      const store = openStore(o);
      try {
        store.addEntry(entry, now);
      } finally {
        store.close();
      }
      process.stdout.write(`added to ${entry.list}, expires ${new Date(entry.expires!).toISOString()}\n`);
    },
  );

  withDb(hl.command('lists').description('Lists on this unit: version, age, entries')).action((o: DbOpts) => {
    const store = openStore(o);
    try {
      const now = Date.now();
      if (store.lists().length === 0) process.stdout.write('no hot list loaded\n');
      for (const l of store.lists()) {
        const age = ((now - l.issuedAt) / 3600_000).toFixed(1);
        process.stdout.write(
          `${l.name.padEnd(18)} v${String(l.version).padEnd(15)} ${String(l.entries).padStart(9)} entries  ${age} h old\n`,
        );
      }
    } finally {
      store.close();
    }
  });

  withDb(
    hl
      .command('check <plate>')
      .description('Match one plate as a read would be (technician use)')
      .option('--max-subs <n>', 'look-alike substitutions', Number, 1),
  ).action((plate: string, o: DbOpts & { maxSubs: number }) => {
    const store = openStore(o);
    try {
      const ms = matchRead({ plate, candidates: [] }, store, {
        maxSubs: o.maxSubs,
        candidates: 1,
        now: Date.now(),
      });
      if (ms.length === 0) process.stdout.write('no match\n');
      for (const m of ms) process.stdout.write(`${JSON.stringify(m)}\n`);
    } finally {
      store.close();
    }
  });
}

/** `--trust id=base64` as a pinned-key entry. */
function parseTrust(v: string): { id: string; publicKey: string } {
  const at = v.indexOf('=');
  if (at < 1) throw new AlprError(ErrorCodes.INPUT, `--trust ${v}: expected id=publicKey (base64)`);
  return { id: v.slice(0, at), publicKey: v.slice(at + 1) };
}
