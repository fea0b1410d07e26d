/**
 * The recognizer on a worker thread (the daemon's default): same readings as in-thread, the main
 * event loop keeps turning during inference, concurrent requests get their own answers, and a
 * model that cannot load fails start with a coded error instead of crashing the process.
 * It runs in a child process started like the daemon (node + tsx), outside vitest's module runner.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/domain/errors.ts';
import { ROOT } from '../helpers/cli.ts';

describe('worker-thread recognizer', () => {
  it('reads like the in-thread recognizer without blocking the main loop', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'test/support/worker-check.ts')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.got).toEqual(out.expected);
    expect(out.got[0].text).toBe('4RDW219');
    // The loop turned through the inference: at least a third of the 5 ms slots it lasted.
    expect(out.ticks).toBeGreaterThan(out.ms / 5 / 3);
    expect(out.pair).toEqual([['4RDW219'], ['7ABC123']]);
    expect(out.reused).toEqual([
      ['4RDW219'],
      ['7ABC123'],
      ['4RDW219'],
      ['7ABC123'],
      ['7ABC123'],
      ['4RDW219'],
    ]);
    expect(out.untouched).toBe(true);
    expect(out.afterClose).toBe('rejected');
    // a pool of two workers (recognize.workers: 2) answers two frames at once, each its own
    expect(out.poolPair).toEqual([['4RDW219'], ['7ABC123']]);
    expect(out.poolLoad).toEqual([0, 0]);
    // a killed worker: reads go on on the live one while a replacement starts, then both read
    expect(out.afterKill.every((r: string) => r === '4RDW219' || r === 'failed')).toBe(true);
    expect(out.afterKill.filter((r: string) => r === 'failed').length).toBeLessThanOrEqual(1);
    expect(out.healed).toBe(2);
    expect(out.healedPair).toEqual([['4RDW219'], ['7ABC123']]);
    // a missing model file keeps its own code through the worker (alpr run: exit 2, not restarted)
    expect(out.failure).toBe(ErrorCodes.MODEL_FILE);
  }, 120_000);

  it('an idle-escalating pool: screen workers load the screen alone, the thorough worker runs at nice 19 under SCHED_IDLE, reads unchanged', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'test/support/worker-roles-check.ts')],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = lines.filter((l) => l.msg === 'recognizer ready');
    // one `role` key per line (JSON.parse would hide a second one)
    const raw = r.stdout.split('\n').filter((l) => l.includes('"recognizer ready"'));
    expect(raw.map((l) => l.split('"role":').length - 1)).toEqual(raw.map(() => 1));
    const models = (role: string) =>
      ((ready.find((l) => l.role === role)?.models ?? []) as string[]).map((m) => m.split('/').pop());
    expect(ready.map((l) => l.role).sort()).toEqual(['all', 'screen']);
    // the screen reads with the int8 plate-rec (recognize.int8: screen), the thorough look with the float one
    expect(models('screen')).toEqual(['plate-det.onnx', 'plate-rec-int8.onnx', 'plate-cls.onnx']);
    expect(models('all')).toContain('plate-rec-int8.onnx');
    expect(models('all')).toContain('plate-rec.onnx');
    expect(models('all')).toContain('ch_PP-OCRv4_det_fused.onnx');
    const out = lines.at(-1)!;
    expect(out.same).toBe(true);
    expect(out.texts).toEqual([
      ['7ABC123', '7ABC123'],
      ['4RDW219', '4RDW219'],
      ['8DLP047', '8DLP047'],
    ]);
    expect(out.modelVersion).toBe('plate-rec-3+ppocr-v4-plate-1');
    // the full worker (thorough looks) says so and the kernel agrees: one thread more, at nice 19
    // under SCHED_IDLE (policy 5), while the pool runs; the screen worker stays at the process's
    // priority and policy (0/0)
    expect(ready.find((l) => l.role === 'all')?.nice).toBe(19);
    expect(ready.find((l) => l.role === 'all')?.sched).toBe('idle');
    expect(ready.find((l) => l.role === 'screen')).not.toHaveProperty('nice');
    expect(ready.find((l) => l.role === 'screen')).not.toHaveProperty('sched');
    const nices = out.nices as { before: string[]; during: string[]; after: string[] };
    expect(nices.before.filter((n) => n !== '0/0')).toEqual([]);
    expect(nices.during.filter((n) => n !== '0/0')).toEqual(['19/5']);
    expect(nices.after.filter((n) => n !== '0/0')).toEqual([]);
  }, 120_000);
});
