import { describe, expect, it } from 'vitest';
import { csvEntries, entryToCsv, parseHeader, splitCsvLine, validateCsv } from '../../src/hotlist/csv.ts';
import { hotlistHealth } from '../../src/hotlist/health.ts';
import { officerPlateEntry, officerPlateProblems } from '../../src/hotlist/officer.ts';

const H = 3600_000;
const NOW = 1_800_000_000_000;

describe('CSV', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['"a, b",c', ['a, b', 'c']],
    ['"say ""hi""",', ['say "hi"', '']],
    [',,', ['', '', '']],
    ['', ['']],
  ])('splits %j', (line, want) => {
    expect(splitCsvLine(line)).toEqual(want);
  });

  it('refuses unterminated quotes and unknown columns', () => {
    expect(() => splitCsvLine('"abc')).toThrow(/unterminated/);
    expect(() => parseHeader('plate,colour')).toThrow(/unknown column\(s\) colour/);
    expect(() => parseHeader('state,reason')).toThrow(/no "plate"/);
  });

  it('reports every bad row with its line number', async () => {
    const lines = [
      'plate,state,list,priority,informational,shareable,expires',
      '7ABC123,CA,SVS,1,,,',
      'AB*C*D*,,,,,,',
      ',,,,,,',
      '8XYZ,CAL,,,,,',
      '9XYZ,,SFR,,,,',
      '1XYZ,,,0,,,',
      '2XYZ,,,,maybe,,',
      '3XYZ,,,,,,yesterday',
      '4XYZ,,,,,',
      '',
      '"5 X-Y Z",,,,,,2030-01-01T00:00:00Z',
      '!!!bad plate!!!,ZZ,,,,,',
      '6X.YZ,,,,,,',
    ];
    const r = await validateCsv(lines, { list: 'SVS', now: NOW, source: null });
    expect(r.rows).toBe(2);
    expect(r.errors.map((e) => `${e.line}: ${e.message.split(':')[0]}`)).toEqual([
      '3: plate',
      '4: plate',
      '5: state',
      '6: list',
      '7: priority',
      '8: informational',
      '9: expires',
      '10: 6 fields, header has 7',
      '13: plate',
      '14: plate',
    ]);
    expect(r.errors.at(-1)!.message).toContain('other than letters, digits, spaces, dashes');
  });

  it('round-trips entries and applies list defaults (SPECIAL: informational, not shareable)', async () => {
    const got = [];
    for await (const e of csvEntries(
      ['plate,synopsis', 'ab-12 3,"grey van, ""dented"""'],
      { list: 'SPECIAL_GANG', now: 1, source: 's' },
      () => {},
    ))
      got.push(e);
    expect(got[0]).toMatchObject({
      plate: 'AB123',
      raw: 'ab-12 3',
      informational: true,
      shareable: false,
      priority: 5,
    });
    const back = [];
    for await (const e of csvEntries(
      [
        'plate,state,list,priority,case_number,xref,reason,officer_name,officer_phone,synopsis,informational,shareable,expires',
        entryToCsv(got[0]!),
      ],
      { list: 'SPECIAL_GANG', now: 1, source: 's' },
      () => {},
    ))
      back.push(e);
    expect(back[0]).toEqual({ ...got[0], raw: 'AB123' });
  });
});

describe('officer hot plates', () => {
  const ok = {
    plate: '7ABC123',
    caseNumber: 'C1',
    reason: 'robbery',
    inStateSystems: false,
    expires: NOW + H,
  };
  it.each([
    ['valid', ok, []],
    ['XREF instead of case', { ...ok, caseNumber: null, xref: 'X1' }, []],
    ['no case, no XREF', { ...ok, caseNumber: ' ' }, ['case number or XREF']],
    ['no reason', { ...ok, reason: '' }, ['reason']],
    ['no expiry', { ...ok, expires: null }, ['expires: required']],
    ['expiry in the past', { ...ok, expires: NOW - 1 }, ['expires: already in the past']],
    ['30 days, local', { ...ok, expires: NOW + 30 * 24 * H }, []],
    ['31 days, local', { ...ok, expires: NOW + 31 * 24 * H }, ['expires: at most 30 days']],
    ['24 h, in state systems', { ...ok, inStateSystems: true, expires: NOW + 24 * H }, []],
    [
      '25 h, in state systems',
      { ...ok, inStateSystems: true, expires: NOW + 25 * H },
      ['expires: at most 24 hours'],
    ],
    ['bad plate and state', { ...ok, plate: 'X', state: 'Calif' }, ['plate', 'state']],
    ['ISO expiry', { ...ok, expires: new Date(NOW + H).toISOString() }, []],
  ] as const)('%s', (_n, input, want) => {
    const got = officerPlateProblems(input, NOW);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => {
      expect(got[i]).toContain(w);
    });
  });

  it('builds a LOCAL entry or throws with every problem', () => {
    expect(officerPlateEntry({ ...ok, plate: '7abc 123', state: 'ca' }, NOW)).toMatchObject({
      list: 'LOCAL',
      plate: '7ABC123',
      state: 'CA',
      expires: NOW + H,
      informational: false,
    });
    expect(() => officerPlateEntry({ ...ok, reason: '', caseNumber: '' }, NOW)).toThrow(
      expect.objectContaining({
        code: 'ALPR_E_HOTLIST_ENTRY',
        details: expect.arrayContaining([expect.stringContaining('reason')]),
      }),
    );
  });
});

describe('hot-list health', () => {
  it.each([
    ['nothing', [], 'red'],
    ['only officer plates', [{ name: 'LOCAL', issuedAt: NOW }], 'red'],
    ['fresh state list', [{ name: 'SVS', issuedAt: NOW - 11 * H }], 'green'],
    ['stale state list', [{ name: 'SVS', issuedAt: NOW - 13 * H }], 'amber'],
    ['special list 23 h', [{ name: 'SPECIAL', issuedAt: NOW - 23 * H }], 'green'],
    ['special list 25 h', [{ name: 'SPECIAL', issuedAt: NOW - 25 * H }], 'amber'],
  ] as const)('%s → %s', (_n, lists, light) => {
    expect(hotlistHealth(lists, NOW)).toMatchObject({ component: 'hotlist', light, at: NOW });
  });
});
