import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { readStoreStatus } from '../store/file.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/** `alpr store …` subcommands. */
export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('The reads store on this unit');
  store
    .command('status')
    .description(
      'Upload queue depth and the time of the last read the server acknowledged (check once a shift)',
    )
    .option('-c, --config <file>', 'unit config (for paths.dataDir and store.file)', DEFAULT_CONFIG)
    .option('--db <file>', 'store file (overrides --config)')
    .option('--json', 'print JSON')
    .action((o: { config: string; db?: string; json?: boolean }) => {
      let file = o.db;
      if (!file) {
        const c = loadConfig(o.config);
        file = join(c.paths.dataDir, c.store.file);
      }
      // Reads only clear columns: works without the store key, never prints plates.
      const s = readStoreStatus(file);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ file, ...s })}\n`);
        return;
      }
      const kinds = ['hit', 'read', 'image'].map((k) => `${k}s ${s.byKind[k] ?? 0}`).join(', ');
      const last =
        s.lastAckedAt === null
          ? 'never'
          : `${new Date(s.lastAckedAt).toISOString()} (${ago(Date.now() - s.lastAckedAt)})`;
      process.stdout.write(
        [
          `store: ${file}`,
          `queue depth: ${s.depth} (${kinds})`,
          `last acknowledged read: ${last}`,
          `reads stored: ${s.reads} (not yet uploaded ${s.unsyncedReads}, on evidence hold ${s.held})`,
          ...(s.parked > 0 ? [`UNREADABLE queued records (wrong key or damage): ${s.parked}`] : []),
          '',
        ].join('\n'),
      );
    });
}
