/**
 * The crash-loop guard in the daemon: with two crash records in a row naming camera `cam1`, the
 * next start leaves that camera out with its light red and the reason, while `cam0` still delivers
 * frames; one record alone leaves both cameras running.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { CRASH_FILE, type CrashRecord } from '../../src/core/crash-guard.ts';
import { Daemon } from '../../src/daemon.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { ROOT } from '../helpers/cli.ts';
import { waitFor } from '../helpers/sync-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-crashguard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const crash = (sources: string[]): CrashRecord => ({
  at: '2026-01-01T00:00:00.000Z',
  sources,
  error: 'RangeError: Invalid time value',
});

async function run(name: string, records: CrashRecord[]) {
  const data = join(tmp, name, 'data');
  const creds = join(tmp, name, 'creds');
  mkdirSync(data, { recursive: true });
  mkdirSync(creds, { recursive: true });
  writeFileSync(join(creds, 'store.key'), 'ab'.repeat(32));
  writeFileSync(join(data, CRASH_FILE), JSON.stringify(records));
  const config = configSchema.parse({
    version: 1,
    unit: { id: 'cg-0001', agency: 'cg-pd', mode: 'car' },
    paths: { dataDir: data, credentialsDir: creds },
    cameras: ['cam0', 'cam1'].map((id, i) => ({
      id,
      type: 'file',
      orientation: i === 0 ? 'front' : 'rear',
      path: join(ROOT, 'fixtures/demo/frames'),
      fps: 2,
      loop: true,
    })),
    gps: { type: 'none' },
    hotlist: { seedCsv: [{ list: 'LOCAL', path: join(ROOT, 'fixtures/demo/hotlist.csv') }] },
    sync: { type: 'none' },
    alerts: { console: false },
    health: { http: { port: 0 } },
    web: { enabled: false },
  });
  const daemon = new Daemon(config, pino({ level: 'silent' }));
  const health: HealthReport[] = [];
  const frames = new Map<string, number>();
  daemon.bus.on('health', (h) => health.push(h));
  daemon.bus.on('frame', (f) => frames.set(f.cameraId, (frames.get(f.cameraId) ?? 0) + 1));
  try {
    await daemon.start();
    await waitFor(() => (frames.get('cam0') ?? 0) >= 3, 30_000, 'frames from cam0');
  } finally {
    await daemon.stop();
  }
  return { health, frames };
}

describe('crash-loop guard at daemon start', () => {
  it('leaves out a camera named by the last two crash records, red with the reason', async () => {
    const { health, frames } = await run('twice', [crash(['camera:cam1']), crash(['camera:cam1'])]);
    expect(frames.get('cam1') ?? 0).toBe(0);
    const cam1 = health.filter((h) => h.component === 'camera:cam1');
    expect(cam1.at(-1)?.light).toBe('red');
    expect(cam1.at(-1)?.reason).toMatch(/disabled: the unit crashed twice in a row.*RangeError/);
  }, 60_000);

  it('runs both cameras after a single crash', async () => {
    const { frames } = await run('once', [crash([]), crash(['camera:cam1'])]);
    expect(frames.get('cam1') ?? 0).toBeGreaterThan(0);
  }, 60_000);
});
