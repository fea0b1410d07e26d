import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { healthSection } from '../config/sections/health.ts';
import { ExitCodes } from '../exit-codes.ts';
import { formatStatus, isStatusView, statusExitCode } from '../health/format.ts';

const DEFAULT_CONFIG = process.env.ALPR_CONFIG ?? '/etc/alpr/config.yaml';

/** The endpoint from --url (a base URL gets /health), else the config's health.http, else the default. */
export function statusUrl(opts: { url?: string; config?: string }): string {
  if (opts.url) {
    const u = new URL(opts.url);
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/health';
    return u.toString();
  }
  let http = healthSection.parse({}).http;
  try {
    const c = loadConfig(opts.config ?? DEFAULT_CONFIG) as { health?: unknown };
    http = healthSection.parse(c.health ?? {}).http;
  } catch {
    // No readable config: the default endpoint is still worth asking.
  }
  const host = http.host === '0.0.0.0' || http.host === '::' ? '127.0.0.1' : http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${http.port}/health`;
}

/**
 * `alpr status`: the four lights; exit 0 all green (a light with nothing configured behind it shows
 * OFF and does not fail it), 1 otherwise, 2 daemon unreachable.
 */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'Show the four health lights with their reasons, the cameras and the upload queue. A light with nothing configured behind it (no server link, say) shows ○ OFF. Exit 0 when no light is amber or red, 1 when one is, 2 when the daemon is not reachable',
    )
    .option('--url <url>', 'health endpoint (default: from the config, http://127.0.0.1:8720/health)')
    .option('-c, --config <file>', 'unit config (for health.http)', DEFAULT_CONFIG)
    .option('--json', 'print the endpoint JSON')
    .option('--no-color', 'no ANSI colours (also when NO_COLOR is set or output is not a terminal)')
    .action(async (o: { url?: string; config: string; json?: boolean; color: boolean }) => {
      const url = statusUrl(o);
      let body: unknown;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        body = await res.json();
        if (!isStatusView(body)) throw new Error('the answer is not a health report');
      } catch (err) {
        const why = (err as Error).cause ? ((err as Error).cause as Error).message : (err as Error).message;
        process.stderr.write(`alpr: the daemon is not running or not reachable at ${url} (${why})\n`);
        process.exitCode = ExitCodes.unreachable;
        return;
      }
      if (o.json) process.stdout.write(`${JSON.stringify(body)}\n`);
      else {
        const color = o.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
        process.stdout.write(formatStatus(body, { color }));
      }
      process.exitCode = statusExitCode(body.lights);
    });
}
