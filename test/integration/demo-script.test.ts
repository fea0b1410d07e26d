/**
 * `bash scripts/demo.sh`, the README's first command, as a newcomer runs it (set-up skipped: the
 * checkout is set up). What must hold:
 * - the first hit shows within 60 s of start, and the first reads and the hit carry a position;
 * - the terminal shows only readable lines (READ, HIT blocks, the demo's notes): the JSON logs go
 *   to the data folder's alpr.log;
 * - the demo's car comes round every loop of the frames, but its hit alerts once (re-alert window);
 * - `kill -INT` or `kill -TERM` of the script's pid stops the whole demo, whatever step it is in:
 *   no process of it is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERIFY_BANNER } from '../../src/alerts/format.ts';
import { ROOT } from '../helpers/cli.ts';
import { DEMO_HOT } from '../helpers/demo.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** config/demo.yaml with its own data folder and any free ports (the demo itself may be running). */
function demoConfig(name: string): { config: string; data: string } {
  const dir = join(tmp, name);
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const text = readFileSync(join(ROOT, 'config/demo.yaml'), 'utf8')
    .replaceAll('../var/demo', data)
    .replaceAll('../fixtures/', `${ROOT}/fixtures/`);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `${text}\nhealth: { http: { port: 0 } }\nweb: { port: 0 }\n`);
  return { config, data };
}

interface Demo {
  child: ChildProcess;
  config: string;
  data: string;
  /** Everything the terminal shows (stdout and stderr), with the time each line came, ms from start. */
  lines: { at: number; text: string }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(name: string): Demo {
  const { config, data } = demoConfig(name);
  const t0 = Date.now();
  const child = spawn('bash', ['scripts/demo.sh'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // the node running the tests, where the pinned runtime is not installed
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
      ALPR_DEMO_SETUP: 'skip',
      ALPR_DEMO_CONFIG: config,
      ALPR_DEMO_DATA: data,
    },
  });
  const lines: Demo['lines'] = [];
  for (const s of [child.stdout!, child.stderr!]) {
    let rest = '';
    s.on('data', (b: Buffer) => {
      const parts = (rest + b.toString()).split('\n');
      rest = parts.pop()!;
      for (const text of parts) lines.push({ at: Date.now() - t0, text });
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, config, data, lines, exited };
}

async function waitFor(demo: Demo, pred: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out; the terminal showed:\n${text(demo)}`);
    await sleep(100);
  }
}

const text = (demo: Demo) => demo.lines.map((l) => l.text).join('\n');

/** Pids of processes whose command line names this demo's config (the set-up steps and the daemon). */
function processesOf(config: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(config)) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function stopAndCheck(demo: Demo, signal: NodeJS.Signals): Promise<void> {
  process.kill(demo.child.pid!, signal);
  const done = await Promise.race([demo.exited, sleep(20_000).then(() => null)]);
  expect(done, `the demo did not stop on ${signal}:\n${text(demo)}`).not.toBeNull();
  // the daemon's own clean stop (0), or the script's trap (128 + signal) during a set-up step
  if (done!.signal === null) expect([0, 130, 143]).toContain(done!.code);
  await sleep(1000);
  expect(processesOf(demo.config)).toEqual([]);
}

describe('scripts/demo.sh', () => {
  it('shows a hit with a position within 60 s, readable lines only, once per car; kill -INT stops it all', async () => {
    const demo = startDemo('int');
    await waitFor(demo, () => demo.lines.some((l) => l.text.includes(VERIFY_BANNER)), 60_000);
    const hitAt = demo.lines.find((l) => l.text.startsWith('*** '))!.at;
    console.info(`demo: first hit ${(hitAt / 1000).toFixed(1)} s after start (set-up skipped)`);
    expect(hitAt).toBeLessThan(60_000);
    // The car comes round again (frames loop every 6 s): wait for its third read.
    const hotReads = () => demo.lines.filter((l) => l.text.startsWith(`READ  ${DEMO_HOT}`)).length;
    await waitFor(demo, () => hotReads() >= 3, 40_000);
    await stopAndCheck(demo, 'SIGINT');

    const shown = demo.lines.map((l) => l.text);
    expect(
      shown.filter((l) => l.startsWith('*** ')),
      'one alert for the same car',
    ).toHaveLength(1);
    const hitBlock = shown.slice(shown.findIndex((l) => l.startsWith('*** ')));
    expect(hitBlock[0]).toContain(DEMO_HOT);
    expect(hitBlock[2]).toMatch(/ 38\.\d{5}, -121\.\d{5} \(fix /);
    const reads = shown.filter((l) => l.startsWith('READ '));
    expect(reads.length).toBeGreaterThanOrEqual(12);
    expect(reads.filter((l) => l.includes('position unknown'))).toEqual([]);
    // nothing but the display and the demo's own notes on the terminal
    expect(shown.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    expect(shown.filter((l) => l.startsWith('demo: ')).join('\n')).toContain(join(demo.data, 'alpr.log'));
    const logged = readFileSync(join(demo.data, 'alpr.log'), 'utf8').trim().split('\n');
    expect(logged.length).toBeGreaterThan(10);
    const parsed = logged.map((l) => JSON.parse(l) as { msg: string; stage?: string });
    expect(parsed.some((l) => l.msg === 'daemon started')).toBe(true);
    expect(parsed.some((l) => l.stage === 'recognize')).toBe(true); // the worker thread's lines too
    expect(logged.join('\n')).not.toContain(DEMO_HOT);
  });

  it('kill -TERM of the script stops the running daemon', async () => {
    const demo = startDemo('term');
    await waitFor(demo, () => demo.lines.some((l) => l.text.startsWith('READ ')), 60_000);
    await stopAndCheck(demo, 'SIGTERM');
    expect(existsSync(join(demo.data, 'reads.sqlite'))).toBe(true);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s during the set-up steps stops them too', async (signal) => {
    const demo = startDemo(`early-${signal}`);
    // the roster import is a node process of its own, started within a few hundred ms
    await waitFor(demo, () => processesOf(demo.config).length > 0, 20_000);
    await stopAndCheck(demo, signal);
    expect(text(demo)).not.toContain('READ ');
  });
});
