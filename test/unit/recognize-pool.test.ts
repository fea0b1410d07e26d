import { describe, expect, it } from 'vitest';
import type { PlateReading } from '../../src/domain/types.ts';
import { WorkerPool } from '../../src/recognize/pool.ts';
import type { Recognizer } from '../../src/recognize/ppocr.ts';

/** A fake worker: records its calls, answers when released. */
function fakeWorker(name: string) {
  const calls: string[] = [];
  const gates: (() => void)[] = [];
  let closed = false;
  const rec: Recognizer = {
    modelVersion: 'm1',
    async readFrame() {
      calls.push('frame');
      await new Promise<void>((r) => gates.push(r));
      return [{ text: name } as PlateReading];
    },
    async readCrop() {
      calls.push('crop');
      return null;
    },
    async close() {
      closed = true;
    },
  };
  return { rec, calls, gates, closed: () => closed };
}

describe('WorkerPool', () => {
  it('sends each call to the worker with the fewest calls in flight', async () => {
    const w = [fakeWorker('w0'), fakeWorker('w1')];
    const pool = new WorkerPool(w.map((x) => x.rec));
    const img = { width: 1, height: 1, data: Buffer.alloc(3) };
    const p1 = pool.readFrame(img);
    const p2 = pool.readFrame(img);
    expect(pool.load()).toEqual([1, 1]);
    const p3 = pool.readFrame(img); // both busy: the first of the least busy
    expect(pool.load()).toEqual([2, 1]);
    w[1]!.gates.shift()!();
    expect((await p2)[0]!.text).toBe('w1');
    expect(pool.load()).toEqual([2, 0]);
    const p4 = pool.readFrame(img);
    expect(pool.load()).toEqual([2, 1]);
    for (const x of w) while (x.gates.length) x.gates.shift()!();
    expect((await Promise.all([p1, p3, p4])).map((r) => r[0]!.text)).toEqual(['w0', 'w0', 'w1']);
    expect(pool.load()).toEqual([0, 0]);
    expect(pool.modelVersion).toBe('m1');
    await pool.close();
    expect(w.every((x) => x.closed())).toBe(true);
  });

  it('frees a worker whose call failed', async () => {
    const bad: Recognizer = {
      modelVersion: 'm1',
      readFrame: () => Promise.reject(new Error('boom')),
      readCrop: async () => null,
      close: async () => {},
    };
    const pool = new WorkerPool([bad]);
    await expect(pool.readFrame({ width: 1, height: 1, data: Buffer.alloc(3) })).rejects.toThrow('boom');
    expect(pool.load()).toEqual([0]);
  });
});

describe('WorkerPool replacing a dead worker', () => {
  const img = { width: 1, height: 1, data: Buffer.alloc(3) };
  /** A worker that can die: then every call fails, as a WorkerRecognizer's does. */
  function mortal(name: string) {
    let alive = true;
    const rec = {
      modelVersion: 'm1',
      alive: () => alive,
      readFrame: async () => {
        if (!alive) throw new Error('recognizer worker exited (code 1)');
        return [{ text: name } as PlateReading];
      },
      readCrop: async () => null,
      close: async () => {
        alive = false;
      },
    };
    return { rec, die: () => (alive = false) };
  }

  it('sends calls to the live worker and puts a fresh one in the dead one’s place', async () => {
    const a = mortal('a');
    const b = mortal('b');
    let made = 0;
    const pool = new WorkerPool([a.rec, b.rec], async () => mortal(`fresh${++made}`).rec);
    a.die();
    expect(pool.aliveCount()).toBe(1);
    expect((await pool.readFrame(img))[0]!.text).toBe('b'); // never the dead one while one lives
    await new Promise((r) => setImmediate(r));
    expect(made).toBe(1);
    expect(pool.aliveCount()).toBe(2);
    const texts = (await Promise.all([pool.readFrame(img), pool.readFrame(img)])).map((r) => r[0]!.text);
    expect(texts.sort()).toEqual(['b', 'fresh1']);
    await pool.close();
  });

  it('keeps retrying a replacement that fails to start, and fails calls plainly meanwhile', async () => {
    const a = mortal('a');
    let tries = 0;
    const pool = new WorkerPool(
      [a.rec],
      async () => {
        if (++tries < 3) throw new Error('out of memory');
        return mortal('back').rec;
      },
      undefined,
      5,
    );
    a.die();
    await expect(pool.readFrame(img)).rejects.toThrow(/exited/);
    for (let i = 0; i < 50 && pool.aliveCount() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(tries).toBe(3);
    expect((await pool.readFrame(img))[0]!.text).toBe('back');
    await pool.close();
  });
});
