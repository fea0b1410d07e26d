import { describe, expect, it } from 'vitest';
import { keySealingWarnings } from '../../src/config/secrets.ts';
import { formatStatus } from '../../src/health/format.ts';
import type { Lights } from '../../src/health/lights.ts';

const green = { light: 'green' as const, reasons: ['ok'] };
const lights: Lights = { cameras: green, server: green, gps: green, system: green };

describe('key sealing warnings', () => {
  it('none: always a warning; tpm2: only for keys read from plain files', () => {
    expect(keySealingWarnings('none')).toEqual([
      expect.stringMatching(/^KEYS NOT SEALED \(paths\.keySealing: none\)/),
    ]);
    expect(keySealingWarnings('tpm2')).toEqual([]);
    expect(
      keySealingWarnings(
        'tpm2',
        new Map([
          ['store.key', 'tpm'],
          ['unit.key', 'systemd'],
        ]),
      ),
    ).toEqual([]);
    expect(keySealingWarnings('tpm2', new Map([['store.key', 'file']]))).toEqual([
      expect.stringMatching(/^KEYS NOT SEALED: store\.key read from plain files/),
    ]);
  });

  it('alpr status prints each warning last, loudly, without changing the lights or the exit', () => {
    const text = formatStatus(
      { status: 'green', lights, warnings: keySealingWarnings('none') },
      { color: false },
    );
    const last = text.trimEnd().split('\n').at(-1);
    expect(last).toMatch(/^!! WARNING: KEYS NOT SEALED/);
    expect(text).toMatch(/^ALPR unit: GREEN/);
    expect(formatStatus({ status: 'green', lights }, { color: false })).not.toContain('WARNING');
    expect(formatStatus({ status: 'green', lights, warnings: [3] }, { color: false })).not.toContain(
      'WARNING',
    );
  });
});
