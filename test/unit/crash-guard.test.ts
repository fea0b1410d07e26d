import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CRASH_FILE,
  type CrashRecord,
  clearCrashRecords,
  feeding,
  markedSources,
  readCrashRecords,
  sourcesToDrop,
  writeCrashRecord,
} from '../../src/core/crash-guard.ts';

const rec = (sources: string[], error = 'RangeError: Invalid time value'): CrashRecord => ({
  at: '2026-01-01T00:00:00.000Z',
  sources,
  error,
});

describe('sourcesToDrop', () => {
  it.each([
    ['no crash', [], []],
    ['one crash', [rec(['gps'])], []],
    ['the same source twice in a row', [rec(['gps']), rec(['gps'])], ['gps']],
    ['different sources', [rec(['gps']), rec(['camera:front'])], []],
    ['same source, not the last two', [rec(['gps']), rec(['gps']), rec([])], []],
    ['crashes with no source', [rec([]), rec([])], []],
    ['one of several in both', [rec(['gps', 'camera:a']), rec(['camera:a'])], ['camera:a']],
  ])('%s', (_what, records, dropped) => {
    expect([...sourcesToDrop(records).keys()]).toEqual(dropped);
  });

  it('says why, with the last error', () => {
    const reason = sourcesToDrop([rec(['gps']), rec(['gps'])]).get('gps');
    expect(reason).toMatch(/^disabled: the unit crashed twice in a row/);
    expect(reason).toContain('RangeError: Invalid time value');
  });
});

describe('feeding marks', () => {
  it('clears the mark when the feeding returns and keeps it when it throws', () => {
    feeding('t1', 'camera:x', () => {});
    expect(markedSources()).not.toContain('camera:x');
    expect(() =>
      feeding('t1', 'camera:x', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(markedSources()).toContain('camera:x');
    feeding('t1', 'camera:x', () => {}); // the stage's next good feeding resets it
    expect(markedSources()).not.toContain('camera:x');
  });
});

describe('crash records on disk', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends, keeps the last five, ignores garbage and clears', () => {
    dir = mkdtempSync(join(tmpdir(), 'alpr-crash-'));
    writeFileSync(join(dir, CRASH_FILE), '{not json');
    expect(readCrashRecords(dir)).toEqual([]);
    for (let i = 0; i < 7; i++) writeCrashRecord(dir, new Error(`e${i}`));
    const all = readCrashRecords(dir);
    expect(all.map((r) => r.error)).toEqual([
      'Error: e2',
      'Error: e3',
      'Error: e4',
      'Error: e5',
      'Error: e6',
    ]);
    clearCrashRecords(dir);
    expect(readCrashRecords(dir)).toEqual([]);
  });

  it('a source that kills a real process twice is dropped; once is not enough', () => {
    dir = mkdtempSync(join(tmpdir(), 'alpr-crash-'));
    const child = resolve(import.meta.dirname, '../helpers/crash-child.ts');
    const die = (source: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', child, dir, source], { timeout: 20_000 });
    expect(die('camera:front').status).toBe(4);
    expect(sourcesToDrop(readCrashRecords(dir)).size).toBe(0);
    expect(die('camera:front').status).toBe(4);
    const records = readCrashRecords(dir);
    expect(records.map((r) => r.sources)).toEqual([['camera:front'], ['camera:front']]);
    expect([...sourcesToDrop(records).keys()]).toEqual(['camera:front']);
  }, 45_000);
});
