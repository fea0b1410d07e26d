import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthReport } from '../../src/domain/types.ts';
import { StoreStage } from '../../src/store/index.ts';
import { captureLog, makeRead, storeConfig, tempDirs } from '../helpers/sync-fixtures.ts';

const dirs = tempDirs('alpr-full-');
const mnt = join(dirs.root, 'small');
mkdirSync(mnt);
let mounted = false;
try {
  // A real full disk: a 8 MB tmpfs (needs root or CAP_SYS_ADMIN; skipped otherwise).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  console.warn(
    `store-diskfull: skipped, cannot mount a small tmpfs (${(err as Error).message.split('\n')[0]})`,
  );
}

let open: StoreStage | null = null;
afterAll(async () => {
  await open?.stop();
  if (mounted) execFileSync('umount', ['-l', mnt]);
  rmSync(dirs.root, { recursive: true, force: true });
});

describe.skipIf(!mounted)('store on a full disk (8 MB tmpfs)', () => {
  it('frees synced data first, then fails loudly without corrupting or losing stored reads', async () => {
    let failed: unknown = null;
    const bus = new Bus((_e, err) => {
      failed = err;
    });
    const health: HealthReport[] = [];
    bus.on('health', (h) => health.push(h));
    const cap = captureLog();
    const store = new StoreStage({
      bus,
      log: cap.log,
      config: storeConfig({ minFreeMb: 1, reserveMb: 1, synchronous: 'full' }),
      dataDir: mnt,
      credentialsDir: dirs.creds,
    });
    open = store;
    await store.start();
    const port = store.outbox();
    // 300 reads already uploaded (synced), then keep reading with the server unreachable.
    for (let i = 0; i < 300; i++) bus.emit('read', makeRead(i));
    port.ack(port.peek(300).map((m) => m.seq));
    const stored: string[] = [];
    for (let i = 300; i < 20_000 && failed === null; i++) {
      const r = makeRead(i);
      bus.emit('read', r);
      if (failed === null) stored.push(r.id);
    }
    expect(failed).toMatchObject({ code: 'SQLITE_FULL' });
    expect(cap.text()).toContain('disk full; freeing synced data and retrying');
    expect(cap.lines().some((l) => l['msg'] === 'purged reads' && l['reason'] === 'disk-watermark')).toBe(
      true,
    );
    expect(health.some((h) => h.component === 'storage' && h.light === 'red')).toBe(true);
    expect(stored.length).toBeGreaterThan(300);
    await store.stop();

    // No corruption, and every read acknowledged as stored is still there and readable.
    const db = new Database(join(mnt, 'reads.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    await store.start();
    const ids = new Set(
      store
        .outbox()
        .peek(100_000)
        .map((m) => m.id),
    );
    expect(stored.every((id) => ids.has(id))).toBe(true);
    console.log(
      `store-diskfull: ${stored.length} unsynced reads stored on 8 MB before SQLITE_FULL; synced ones purged`,
    );
    await store.stop();
  });
});
