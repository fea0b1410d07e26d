import { describe, expect, it } from 'vitest';
import {
  buildReport,
  cameraChecks,
  checkFromVerdict,
  formatReport,
  keysCheck,
  modelCheck,
} from '../../src/health/selftest.ts';
import { keySealingWarnings } from '../../src/config/secrets.ts';

describe('self-test report (pure)', () => {
  it.each([
    [400, 2000, ['7ABC123'], '7ABC123', 'pass', 'read a plate in 400 ms (budget 2000 ms)'],
    [2600, 2000, ['7ABC123'], '7ABC123', 'fail', 'too slow: 2600 ms (budget 2000 ms)'],
    [
      400,
      2000,
      ['7ABC128'],
      '7ABC123',
      'fail',
      'reference plate not read (read a plate) in 400 ms (budget 2000 ms)',
    ],
    [400, 2000, [], null, 'pass', 'no plate read in 400 ms (budget 2000 ms)'],
    [400, 2000, ['A', 'B'], null, 'pass', 'read 2 plates in 400 ms (budget 2000 ms)'],
  ])('model %d ms of %d, read %j expecting %s → %s', (ms, budget, plates, expected, result, detail) => {
    expect(modelCheck(ms, budget, plates, expected)).toMatchObject({ result, detail });
  });

  it('cameras pass with their first frame, fail without', () => {
    expect(cameraChecks(['front', 'rear'], new Map([['front', 120.4]]), 10)).toEqual([
      { name: 'camera front', result: 'pass', detail: 'first frame after 120 ms', ms: 120.4 },
      { name: 'camera rear', result: 'fail', detail: 'no frame within 10 s' },
    ]);
  });

  it('passes when nothing fails (warnings allowed) and prints a report to keep', () => {
    const checks = [
      checkFromVerdict('disk', { light: 'amber', reason: 'disk low: 1.5 GB free (2 %)' }),
      checkFromVerdict('clock', { light: 'green', reason: 'clock set' }),
    ];
    const ok = buildReport('u1', Date.UTC(2026, 0, 2), { software: '1.0.0' }, checks);
    expect(ok.passed).toBe(true);
    expect(formatReport(ok)).toBe(
      [
        'ALPR unit self-test — unit u1',
        'at 2026-01-02T00:00:00.000Z',
        'software: 1.0.0',
        '',
        'WARN  disk    disk low: 1.5 GB free (2 %)',
        'PASS  clock   clock set',
        '',
        'RESULT: PASS, AMBER (1 warning)',
        '',
      ].join('\n'),
    );
    expect(ok.light).toBe('amber');
    const green = buildReport('u1', 0, {}, [checks[1]!]);
    expect([green.passed, green.light]).toEqual([true, 'green']);
    expect(formatReport(green)).toMatch(/\nRESULT: PASS\n$/);
    const bad = buildReport('u1', 0, {}, [
      ...checks,
      checkFromVerdict('temperature', { light: 'red', reason: 'hot' }),
    ]);
    expect(bad.passed).toBe(false);
    expect(bad.light).toBe('red');
    expect(formatReport(bad)).toContain('FAIL  temperature  hot\n\nRESULT: FAIL (1 failed)\n');
  });

  it('keys not sealed to a TPM: the unit passes amber with the reason; sealed keys pass green', () => {
    const none = keysCheck(keySealingWarnings('none'));
    expect(none.result).toBe('warn');
    expect(none.detail).toMatch(
      /^KEYS NOT SEALED \(paths\.keySealing: none\): the store key and the TLS key/,
    );
    const r = buildReport('u1', 0, {}, [{ name: 'config', result: 'pass', detail: 'x' }, none]);
    expect([r.passed, r.light]).toEqual([true, 'amber']);
    expect(formatReport(r)).toContain('WARN  keys    KEYS NOT SEALED');
    expect(formatReport(r)).toMatch(/RESULT: PASS, AMBER \(1 warning\)\n$/);
    const plain = keysCheck(keySealingWarnings('tpm2', new Map([['store.key', 'file']])));
    expect(plain).toMatchObject({
      result: 'warn',
      detail: expect.stringMatching(/store\.key read from plain files/),
    });
    const sealed = keysCheck(
      keySealingWarnings(
        'tpm2',
        new Map([
          ['store.key', 'tpm'],
          ['unit.key', 'tpm'],
        ]),
      ),
    );
    expect(sealed.result).toBe('pass');
  });
});
