/**
 * Config mistakes as a technician makes them: each gives one plain sentence with the path and the
 * line, unknown keys suggest the nearest known one, YAML syntax errors say where without zod's or
 * the parser's raw wording, and the file is named once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/load.ts';
import { editDistance, nearest } from '../../src/config/wording.ts';
import { type AlprError, ConfigError, ErrorCodes } from '../../src/domain/errors.ts';
import { runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-config-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEAD = 'version: 1\nunit:\n  id: car-1\n  agency: pd\n';

function problems(text: string): { message: string; details: readonly string[] } {
  try {
    parseConfigText(text, tmp, 'config car.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return { message: (e as ConfigError).message, details: (e as ConfigError).details };
  }
  throw new Error('expected a ConfigError');
}

/** Each case: the YAML a technician wrote, then exactly what `alpr config check` lists. */
const CASES: [string, string, string[]][] = [
  [
    'unknown camera type, with the allowed ones and the line',
    `${HEAD}cameras:\n  - id: front\n    orientation: front\n    type: foo\n`,
    ['cameras[0].type: unknown type "foo"; allowed: file, mjpeg, rtsp, v4l2 (line 8)'],
  ],
  [
    'camera type that is nearly right',
    `${HEAD}cameras:\n  - { id: front, orientation: front, type: rstp, url: "rtsp://cam" }\n`,
    ['cameras[0].type: unknown type "rstp"; allowed: file, mjpeg, rtsp, v4l2; did you mean "rtsp"? (line 6)'],
  ],
  [
    'camera without a type',
    `${HEAD}cameras:\n  - id: front\n    orientation: front\n`,
    ['cameras[0].type: is required; allowed: file, mjpeg, rtsp, v4l2 (line 6)'],
  ],
  [
    'unknown key near a known one',
    `${HEAD}gps:\n  type: replay\n  path: route.nmea\n  maxFixAge: 3\n`,
    ['gps.maxFixAge: unknown key; did you mean "maxFixAgeS"? (line 8)'],
  ],
  [
    'unknown key in a camera entry (the branch its type names)',
    `${HEAD}cameras:\n  - { id: a, type: file, orientation: rear, path: frames, lop: true }\n`,
    ['cameras[0].lop: unknown key; did you mean "loop"? (line 6)'],
  ],
  [
    'unknown key far from any known one lists the known keys',
    `${HEAD}  colour: red\n`,
    ['unit.colour: unknown key; known keys here: agency, id, mode (line 5)'],
  ],
  [
    'unknown value near an allowed one',
    `${HEAD}  mode: cra\n`,
    ['unit.mode: unknown value "cra"; allowed: car, trailer; did you mean "car"? (line 5)'],
  ],
  [
    'version not supported',
    'version: 2\nunit: { id: car-1, agency: pd }\n',
    ['version: 2 is not a supported config version; supported: 1 (line 1)'],
  ],
  [
    'version as text',
    'version: "1"\nunit: { id: car-1, agency: pd }\n',
    ['version: "1" is not a supported config version; supported: 1 (line 1)'],
  ],
  [
    'version missing',
    'unit: { id: car-1, agency: pd }\n',
    ['version: is required (supported: 1; e.g. "version: 1" on the first line)'],
  ],
  [
    'required key missing points at its section',
    'version: 1\nunit:\n  agency: pd\n',
    ['unit.id: is required (line 3)'],
  ],
  [
    'text where a number goes',
    `${HEAD}store:\n  retentionDays: a week\n`,
    ['store.retentionDays: must be a number, not "a week" (line 6)'],
  ],
  [
    'number out of range, with the value given',
    `${HEAD}recognize:\n  detMaxSide: 33\n`,
    [
      'recognize.detMaxSide: must be at least 320, not 33 (line 6)',
      'recognize.detMaxSide: must be a multiple of 32 (line 6)',
    ],
  ],
  [
    'one of fixed numbers',
    `${HEAD}gps: { type: serial, path: /dev/ttyS0, baud: 1234 }\n`,
    ['gps.baud: must be one of 4800, 9600, 19200, 38400, 57600, 115200, not 1234 (line 5)'],
  ],
  [
    'a mapping where a list goes',
    `${HEAD}cameras:\n  front: { type: file }\n`,
    ['cameras: must be a list, not a mapping (line 6)'],
  ],
  [
    'cross-field check, with its line',
    `${HEAD}cameras:\n  - { id: a, type: file, orientation: front, path: x }\n  - { id: a, type: file, orientation: rear, path: y }\n`,
    ['cameras[1].id: duplicate camera id "a" (line 7)'],
  ],
  ['an empty file', '', ['config: the file is empty; it needs at least "version" and "unit"']],
  [
    'not a mapping at all',
    'hello\n',
    ['config: must be a mapping of sections (version, unit, cameras…), not "hello"'],
  ],
  [
    'YAML: a tab as indentation',
    'version: 1\n\tunit: x\n',
    ['yaml: tabs are not allowed for indentation; use spaces (line 2, column 1)'],
  ],
  [
    'YAML: an unclosed flow mapping',
    'version: 1\nunit: { id: car-1\n',
    ['yaml: flow map in block collection must be sufficiently indented and end with a } (line 3, column 1)'],
  ],
  [
    'YAML: a key twice',
    'version: 1\nversion: 1\n',
    ['yaml: the same key appears twice in one mapping (line 2, column 1)'],
  ],
];

describe('config mistakes in plain words', () => {
  it.each(CASES)('%s', (_name, text, expected) => {
    expect(problems(text).details).toEqual(expected);
  });

  it('never shows zod or parser wording, nor a sentence ending in a colon', () => {
    const raw =
      /Invalid (input|option|discriminator)|expected .* received|Too (small|big)|Unrecognized key|>=|<=/;
    for (const [, text] of CASES)
      for (const d of problems(text).details) {
        expect(d).not.toMatch(raw);
        expect(d).not.toMatch(/:\s*$/);
      }
  });

  it('counts the problems in the message, with the name once', () => {
    expect(problems(CASES[12]![1]).message).toBe('config car.yaml has 2 problems');
    expect(problems('version: 1\n\tunit: x\n').message).toBe('config car.yaml is not valid YAML: 1 problem');
  });
});

describe('a document of nested aliases ("billion laughs")', () => {
  it('is a config error (exit 2 under systemd), not a crash', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const e = problems(`version: 1\n${levels.join('\n')}\n`);
    expect(e.message).toBe('config car.yaml is not valid YAML: 1 problem');
    expect(e.details[0]).toMatch(/^yaml: .*alias/i);
  });
});

describe('the file is named once', () => {
  it('in the error loadConfig throws', () => {
    const f = join(tmp, 'once.yaml');
    writeFileSync(f, 'version: 3\nunit: { id: car-1, agency: pd }\n');
    const e = (() => {
      try {
        loadConfig(f);
      } catch (err) {
        return err as AlprError;
      }
      throw new Error('expected an error');
    })();
    expect(e.message).toBe(`config ${f} has 1 problem`);
    expect(e.details.join('\n')).not.toContain(f);
  });

  it('when the file cannot be read', () => {
    const f = join(tmp, 'missing.yaml');
    try {
      loadConfig(f);
      expect.unreachable();
    } catch (err) {
      expect((err as AlprError).code).toBe(ErrorCodes.CONFIG_READ);
      expect((err as AlprError).message).toBe(`cannot read config ${f}: no such file`);
    }
  });

  it('in `alpr config check` output', () => {
    const f = join(tmp, 'check.yaml');
    writeFileSync(f, `${HEAD}gps:\n  type: replay\n  path: route.nmea\n  maxFixAge: 3\n`);
    const r = runCli(['config', 'check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout.split(f).length - 1).toBe(1);
    expect(r.stdout).toBe(
      `config ${f} has 1 problem\n  gps.maxFixAge: unknown key; did you mean "maxFixAgeS"? (line 8)\n`,
    );
  });
});

describe('nearest known name', () => {
  it.each([
    ['maxFixAge', ['maxFixAgeS', 'type', 'path'], 'maxFixAgeS'],
    ['maxfixages', ['maxFixAgeS', 'type'], 'maxFixAgeS'],
    ['retention', ['retentionDays', 'outboxImages'], 'retentionDays'],
    ['lop', ['loop', 'path', 'id'], 'loop'],
    ['colour', ['agency', 'id', 'mode'], undefined],
    ['x', ['id'], undefined],
  ])('%s among %j → %s', (word, known, want) => {
    expect(nearest(word, known)).toBe(want);
  });

  it.each([
    ['', '', 0],
    ['car', 'car', 0],
    ['car', 'Car', 0],
    ['rstp', 'rtsp', 1],
    ['abc', 'xyz', 3],
    ['maxFixAge', 'maxFixAgeS', 1],
  ])('editDistance(%s, %s) = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});
