import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CentralSink } from '../../src/sync/sink.ts';
import { type Broker, hasMosquitto } from '../helpers/mosquitto.ts';
import { type SyncRig, startSyncRig } from '../helpers/sync-rig.ts';

/** ~10 kills in the normal suite; ALPR_KILL_ITERATIONS=50 (or more) for the full fault run. */
const ITERATIONS = Number(process.env.ALPR_KILL_ITERATIONS ?? 10);
/** Enough reads that most runs are killed while still producing (~100 reads/s per run). */
const TOTAL = 40 * ITERATIONS;
const CHILD = resolve(import.meta.dirname, '../helpers/sync-producer-child.ts');

if (!hasMosquitto) console.warn('sync-kill: skipped, mosquitto not installed (apt-get install mosquitto)');

function runChild(
  env: NodeJS.ProcessEnv,
  killAfterMs: number | null,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const t = killAfterMs === null ? null : setTimeout(() => c.kill('SIGKILL'), killAfterMs);
    c.once('exit', (code, signal) => {
      if (t) clearTimeout(t);
      res({ code, signal, out });
    });
  });
}

describe.skipIf(!hasMosquitto)('kill -9 of the producing process at random points', () => {
  let rig: SyncRig;
  let broker: Broker;
  let sink: CentralSink;
  let dirs: SyncRig['dirs'];

  beforeAll(async () => {
    // The store and sync stages run in the child processes: the rig is the server side only.
    rig = await startSyncRig({ prefix: 'alpr-kill-' });
    ({ broker, sink, dirs } = rig);
  });

  afterAll(async () => {
    await rig?.close();
  });

  it(`ends with every read exactly once after ${ITERATIONS} kills`, {
    timeout: 60_000 + ITERATIONS * 5000,
  }, async () => {
    const env = {
      ALPR_T_DATA: dirs.data,
      ALPR_T_CREDS: dirs.creds,
      ALPR_T_URL: broker.url,
      ALPR_T_TOTAL: String(TOTAL),
    };
    // Killed while read 10 (which raises a hit) is being announced: neither it nor its hit is kept.
    const died = await runChild({ ...env, ALPR_T_DIE_AT: '10' }, null);
    expect(died.signal).toBe('SIGKILL');
    const db = new Database(join(dirs.data, 'reads.sqlite'), { readonly: true });
    const has = (t: string, id: string) =>
      db.prepare(`SELECT 1 FROM ${t} WHERE id = ?`).get(id) !== undefined;
    expect([has('reads', 'kill-000009'), has('reads', 'kill-000010'), has('hits', 'hit-000010')]).toEqual([
      true,
      false,
      false,
    ]);
    db.close();
    let killed = 1;
    for (let i = 0; i < ITERATIONS; i++) {
      // tsx start-up takes ~0.5-1 s; production runs ~1 s after that: kill anywhere in it.
      const r = await runChild(env, 400 + Math.floor(Math.random() * 1600));
      if (r.signal === 'SIGKILL') killed++;
      else expect(r.out).toContain('DONE');
    }
    const last = await runChild(env, null);
    expect(last.out).toContain('DONE');
    expect(last.code).toBe(0);
    const wantReads = Array.from({ length: TOTAL }, (_, i) => `kill-${String(i).padStart(6, '0')}`);
    const c = sink.counts();
    console.log(`sync-kill: ${killed}/${ITERATIONS + 1} runs killed mid-way; sink ${JSON.stringify(c)}`);
    expect(new Set(sink.ids('read'))).toEqual(new Set(wantReads));
    expect(sink.ids('read')).toHaveLength(TOTAL);
    // Every hit-raising read has its hit, and every hit its read (hit-i belongs to kill-i).
    const wantHits = wantReads.filter((_, i) => i % 10 === 0).map((id) => id.replace('kill-', 'hit-'));
    expect(new Set(sink.ids('hit'))).toEqual(new Set(wantHits));
    expect(sink.ids('hit')).toHaveLength(wantHits.length);
    expect(c.conflicts).toBe(0);
    expect(c.malformed).toBe(0);
    expect(killed).toBeGreaterThan(0);
  });
});
