import { describe, expect, it } from 'vitest';
import type { PlateReading } from '../../src/domain/types.ts';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { poolRoles, WorkerPool } from '../../src/recognize/pool.ts';
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

describe('WorkerPool by role (escalation: idle)', () => {
  const img = { width: 1, height: 1, data: Buffer.alloc(3) };
  const section = (o: object) => recognizeSection.parse(o);

  it('splits an idle-escalating pool into screen workers and one full worker', () => {
    expect(poolRoles(section({ profile: 'accurate', escalation: 'idle' }), 3)).toEqual([
      'screen',
      'screen',
      'all',
    ]);
    expect(poolRoles(section({ profile: 'accurate', escalation: 'idle' }), 2)).toEqual(['screen', 'all']);
    // one worker must do everything; inline escalation reads every frame in full; fast and
    // thorough do not escalate, and neither does an accurate profile told not to
    expect(poolRoles(section({ profile: 'accurate', escalation: 'idle' }), 1)).toEqual(['all']);
    expect(poolRoles(section({ profile: 'accurate', escalation: 'inline' }), 3)).toEqual([
      'all',
      'all',
      'all',
    ]);
    expect(poolRoles(section({ profile: 'fast', escalation: 'idle' }), 3)).toEqual(['all', 'all', 'all']);
    expect(poolRoles(section({ profile: 'thorough', escalation: 'idle' }), 2)).toEqual(['all', 'all']);
    expect(poolRoles(section({ profile: 'accurate', escalation: 'idle', escalateBelow: 0 }), 2)).toEqual([
      'all',
      'all',
    ]);
  });

  /** A worker that answers every call at once with its name and the call. */
  function named(name: string, version = 'm1'): Recognizer {
    const plate = (call: string) => [{ text: `${name}:${call}` } as PlateReading];
    return {
      modelVersion: version,
      readFrame: async () => plate('frame'),
      readCrop: async () => plate('crop')[0]!,
      screenFrame: async () => ({ plates: plate('screen'), sure: true }),
      thoroughFrame: async () => plate('thorough'),
      close: async () => {},
    };
  }

  it('sends screens to the screen workers first, everything else to the full worker only', async () => {
    const pool = new WorkerPool(
      [named('s0', 'screen-v'), named('s1', 'screen-v'), named('full', 'full-v')],
      undefined,
      undefined,
      2000,
      ['screen', 'screen', 'all'],
    );
    expect(pool.modelVersion).toBe('full-v');
    const screens = await Promise.all([pool.screenFrame(img), pool.screenFrame(img)]);
    expect(screens.map((s) => s.plates[0]!.text)).toEqual(['s0:screen', 's1:screen']);
    // both screen workers busy: the full worker screens too rather than keep a camera waiting
    const three = await Promise.all([pool.screenFrame(img), pool.screenFrame(img), pool.screenFrame(img)]);
    expect(three.map((s) => s.plates[0]!.text)).toEqual(['s0:screen', 's1:screen', 'full:screen']);
    const others = await Promise.all([
      pool.thoroughFrame(img),
      pool.thoroughFrame(img),
      pool.readFrame(img),
      pool.readCrop(img),
    ]);
    expect(others.map((r) => (Array.isArray(r) ? r[0]!.text : r!.text))).toEqual([
      'full:thorough',
      'full:thorough',
      'full:frame',
      'full:crop',
    ]);
    await pool.close();
  });

  it('replaces a dead worker with one of the same role', async () => {
    let alive = true;
    const dying = { ...named('s0'), alive: () => alive };
    const asked: string[] = [];
    const pool = new WorkerPool(
      [dying, named('full')],
      async (role) => {
        asked.push(role);
        return named('fresh');
      },
      undefined,
      2000,
      ['screen', 'all'],
    );
    alive = false;
    expect((await pool.screenFrame(img)).plates[0]!.text).toBe('full:screen');
    await new Promise((r) => setImmediate(r));
    expect(asked).toEqual(['screen']);
    expect((await pool.screenFrame(img)).plates[0]!.text).toBe('fresh:screen');
    await pool.close();
  });
});
