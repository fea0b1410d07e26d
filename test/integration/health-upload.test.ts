import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerStatusCommand } from '../../src/commands/status.ts';
import { healthSection } from '../../src/config/sections/health.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import { type HealthBody, HealthStage, type UploadInfo } from '../../src/health/index.ts';
import { StoreStage } from '../../src/store/index.ts';
import { makeRead, storeConfig, tempDirs, waitFor } from '../helpers/sync-fixtures.ts';

/** Runs `alpr status` in-process; returns exit code and output. */
async function status(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const before = process.exitCode;
  try {
    const program = new Command('alpr').exitOverride();
    registerStatusCommand(program);
    await program.parseAsync(['node', 'alpr', 'status', '--no-color', ...args]);
    return { code: Number(process.exitCode ?? 0), out };
  } finally {
    process.exitCode = before;
    o.mockRestore();
    e.mockRestore();
  }
}

const log = createLogger({ level: 'silent' });

describe('health endpoint `upload` section from the real store outbox, and `alpr status`', () => {
  const dirs = tempDirs('alpr-health-upload-');
  const bus = new Bus();
  const store = new StoreStage({
    bus,
    log,
    config: storeConfig(),
    dataDir: dirs.data,
    credentialsDir: dirs.creds,
  });
  // As the composition root wires it.
  const health = new HealthStage({
    bus,
    log,
    config: healthSection.parse({ http: { enabled: true, host: '127.0.0.1', port: 0 } }),
    upload: () => store.uploadInfo(),
  });
  let url = '';
  const get = async () => (await (await fetch(url)).json()) as HealthBody;

  beforeAll(async () => {
    await store.start();
    await health.start();
    health.settle();
    url = `http://127.0.0.1:${health.port}/health`;
  });
  afterAll(async () => {
    await health.stop();
    await store.stop();
    rmSync(dirs.root, { recursive: true, force: true });
  });

  it('an empty store: nothing queued, never acknowledged', async () => {
    expect((await get()).upload).toEqual({
      depth: 0,
      lastAckedAt: null,
      lastAckedAgeS: null,
      oldestPendingAgeS: null,
    });
    const r = await status(['--url', url]);
    expect(r.out).toContain('upload: 0 queued, last read acknowledged never\n');
  });

  it('reads queue up; an acknowledgement shows with its time', async () => {
    for (let i = 0; i < 3; i++) bus.emit('read', makeRead(i));
    await waitFor(() => store.outbox().depth() === 3, 5000, 'three reads queued');
    let body = await get();
    expect(body.upload).toMatchObject({ depth: 3, lastAckedAt: null });
    // the oldest read waiting was queued just now, not never
    expect(body.upload?.oldestPendingAgeS).toBeGreaterThanOrEqual(0);
    expect(body.upload?.oldestPendingAgeS).toBeLessThanOrEqual(5);
    const t0 = Date.now();
    const outbox = store.outbox();
    outbox.ack(outbox.peek(2).map((m) => m.seq));
    body = await get();
    expect(body.upload?.depth).toBe(1);
    const acked = Date.parse(body.upload?.lastAckedAt ?? '');
    expect(acked).toBeGreaterThanOrEqual(t0 - 1000);
    expect(acked).toBeLessThanOrEqual(Date.now());
    expect(body.upload?.lastAckedAgeS).toBeLessThanOrEqual(2);
    const r = await status(['--url', url]);
    expect(r.out).toMatch(
      /\nupload: 1 queued \(oldest \d s\), last read acknowledged \d\d:\d\d:\d\d \(\d s ago\)\n/,
    );
    const json = await status(['--url', url, '--json']);
    expect(JSON.parse(json.out).upload.depth).toBe(1);
  });
});

describe('health endpoint without a server link, or with a failing outbox', () => {
  let info: () => UploadInfo | null = () => null;
  const health = new HealthStage({
    bus: new Bus(),
    log,
    config: healthSection.parse({ http: { enabled: true, host: '127.0.0.1', port: 0 } }),
    upload: () => info(),
  });
  beforeAll(() => health.start());
  afterAll(() => health.stop());

  it('upload is null when the callback says there is no link, or throws; the lights still answer', async () => {
    const url = `http://127.0.0.1:${health.port}/health`;
    let body = (await (await fetch(url)).json()) as HealthBody;
    expect(body.upload).toBeNull();
    info = () => {
      throw new Error('database is closed');
    };
    const res = await fetch(url);
    expect(res.status).toBe(200);
    body = (await res.json()) as HealthBody;
    expect(body.upload).toBeNull();
    expect(body.lights.server).toBeDefined();
    const r = await status(['--url', url]);
    expect(r.out).not.toContain('upload:');
  });
});
