import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DELTA_HEADER, deltaBody, deltaChanges, diffLines } from '../../src/hotlist/delta.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import {
  type Manifest,
  manifestProblem,
  publicKeyFromBase64,
  signManifest,
} from '../../src/hotlist/snapshot.ts';

const ctx = { list: 'SVS', now: 1, source: 'sync:a' };
const row = (plate: string, reason = 'stolen') => `${plate},CA,SVS,3,C1,,${reason},,,,false,true,`;

describe('diffLines (multiset)', () => {
  it.each([
    ['nothing changed', ['a', 'b'], ['b', 'a'], [], []],
    ['one added, one removed', ['a', 'b'], ['a', 'c'], ['b'], ['c']],
    ['a duplicate removed', ['a', 'a', 'b'], ['a', 'b'], ['a'], []],
    ['a duplicate added', ['a'], ['a', 'a'], [], ['a']],
    ['from empty', [], ['x', 'y'], [], ['x', 'y']],
    ['to empty', ['x', 'x'], [], ['x', 'x'], []],
  ])('%s', async (_name, prev, next, removes, adds) => {
    const d = await diffLines(prev, next);
    expect(d.removes.sort()).toEqual(removes);
    expect(d.adds.sort()).toEqual(adds);
  });
});

describe('deltaChanges', () => {
  it('reads removes and adds in order, with entries parsed like a full snapshot', async () => {
    const body = deltaBody({ removes: [row('AAA111')], adds: [row('BBB222', 'felony'), row('CCC333')] });
    const ch = await deltaChanges(body, ctx, 3);
    expect(ch.map((c) => [c.op, c.entry.plate, c.entry.reason])).toEqual([
      ['-', 'AAA111', 'stolen'],
      ['+', 'BBB222', 'felony'],
      ['+', 'CCC333', 'stolen'],
    ]);
    expect(ch[0]!.entry).toMatchObject({ list: 'SVS', state: 'CA', priority: 3, caseNumber: 'C1' });
  });

  it.each([
    ['a wrong header', gzipSync(`plate,state\n+,${row('AAA111')}\n`), 1, /header/],
    ['a line without op', gzipSync(`${DELTA_HEADER}\n*,${row('AAA111')}\n`), 1, /line 2 has no \+\/- op/],
    ['a bad row', gzipSync(`${DELTA_HEADER}\n+,${row('X')}\n`), 1, /^delta line 2 is bad \(plate\)$/],
    [
      'more changes than the manifest says',
      deltaBody({ removes: [], adds: [row('AA1'), row('BB2')] }),
      1,
      /more than/,
    ],
    [
      'fewer changes than the manifest says',
      deltaBody({ removes: [], adds: [row('AA1')] }),
      2,
      /holds 1 changes/,
    ],
    ['an empty body', gzipSync(''), 0, /empty/],
  ])('refuses %s (never quoting the plate)', async (_name, body, changes, msg) => {
    const err = await deltaChanges(body as Buffer, ctx, changes as number).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(msg as RegExp);
    expect((err as Error).message).not.toContain('AAA111');
  });
});

describe('delta manifests', () => {
  const admin = generateAdminKey();
  const keys = new Map([['a', publicKeyFromBase64(admin.publicKey)]]);
  const base = {
    type: 'hotlist-manifest' as const,
    version: 2 as const,
    id: 'd1',
    agency: 'pd1',
    list: 'SVS',
    listVersion: 20,
    issuedAt: 20,
    entries: 5,
    bytes: 10,
    sha256: 'f'.repeat(64),
    chunkSize: 10,
    chunks: ['f'.repeat(64)],
    keyId: 'a',
    kind: 'delta' as const,
    baseVersion: 10,
    changes: 2,
  };
  const expectDelta = { agency: 'pd1', list: 'SVS', delta: true };

  it.each<[string, Partial<Manifest>, { delta?: boolean } | null, RegExp | null]>([
    ['a good delta', {}, null, null],
    ['a base changed after signing', { baseVersion: 9 }, null, /bad signature/],
    ['a change count changed after signing', { changes: 3 }, null, /bad signature/],
    ['a delta on the full-snapshot topic', {}, { delta: false }, /delta on the full-snapshot topic/],
    ['a full snapshot on the delta topic', { version: 1 }, null, /full snapshot on the delta topic/],
    ['no agency', { agency: undefined }, null, /^manifest names no agency$/],
    ["another agency's", { agency: 'pd2' }, null, /^manifest is for another agency$/],
    [
      'a list its topic does not name',
      { list: 'LOCAL' },
      null,
      /^manifest is for another list than its topic names$/,
    ],
  ])('%s', (_name, change, expectOver, problem) => {
    const m = { ...signManifest(base, admin.privateKeyPem), ...change };
    expect(manifestProblem(m, { ...expectDelta, ...expectOver }, keys) ?? null).toSatisfy(
      (p: string | null) => (problem === null ? p === null : problem.test(p ?? '')),
    );
  });

  it.each([
    ['a base not older than the version', { baseVersion: 20 }, /bad base version/],
    ['no kind', { kind: undefined }, /bad base version/],
    ['a negative change count', { changes: -1 }, /bad change count/],
  ])('refuses %s even when signed', (_name, change, problem) => {
    const m = signManifest({ ...base, ...change } as typeof base, admin.privateKeyPem);
    expect(manifestProblem(m, expectDelta, keys)).toMatch(problem);
  });
});
