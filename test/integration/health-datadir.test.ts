import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { healthSection } from '../../src/config/sections/health.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/log.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { HealthStage } from '../../src/health/index.ts';
import { diskSpace } from '../../src/health/probes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-datadir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('disk check of a data folder not created yet (every fresh start)', () => {
  it('measures the file system where the folder will be created', async () => {
    const s = await diskSpace(join(tmp, 'data', 'not', 'yet'));
    expect(s).toEqual(await diskSpace(tmp));
    expect(s.totalBytes).toBeGreaterThan(0);
  });

  it('still fails when the folder cannot be created (a file in the way)', async () => {
    writeFileSync(join(tmp, 'a-file'), 'x');
    await expect(diskSpace(join(tmp, 'a-file', 'data'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('gives the disk light its verdict at the first check, not red "cannot read data folder"', async () => {
    const bus = new Bus();
    const disk: HealthReport[] = [];
    bus.on('health', (r) => {
      if (r.component === 'disk') disk.push(r);
    });
    const stage = new HealthStage({
      bus,
      log: createLogger({ level: 'silent' }),
      config: healthSection.parse({
        http: { enabled: false },
        temperature: { path: join(tmp, 'absent') },
        disk: { amberFreeMb: 0, redFreeMb: 0 },
      }),
      dataDir: join(tmp, 'fresh-unit', 'data'),
    });
    await stage.start();
    await stage.stop();
    expect(disk).toHaveLength(1);
    expect(disk[0]?.reason).not.toMatch(/cannot read data folder/);
    expect(disk[0]?.light).toBe('green');
  });
});
