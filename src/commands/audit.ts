import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { webSection } from '../config/sections/web.ts';
import { openWebDb } from '../web/db.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';

/** `alpr audit …`: the hash-chained trail of searches and officer actions (policy rule 10). */
export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description("The officer's page audit trail (searches, hit handling)");
  audit
    .command('verify')
    .description('Check the hash chain of the audit trail; exit 1 and name the first bad row when broken')
    .option('-c, --config <file>', 'unit config (for paths.dataDir and web.file)', DEFAULT_CONFIG)
    .option('--db <file>', 'web database file (overrides --config)')
    .option('--json', 'print JSON')
    .action((o: { config: string; db?: string; json?: boolean }) => {
      let file = o.db;
      if (!file) {
        const c = loadConfig(o.config) as { paths: { dataDir: string }; web?: unknown };
        file = join(c.paths.dataDir, webSection.parse(c.web ?? {}).file);
      }
      const db = openWebDb(file);
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
