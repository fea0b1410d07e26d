import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configProblems, loadConfig, parseConfigText } from '../../src/config/load.ts';
import { firstPass, resolveRecognize } from '../../src/config/sections/recognize.ts';
import { type ConfigError, ErrorCodes } from '../../src/domain/errors.ts';
import { ROOT, runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alpr-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const minimal = { version: 1, unit: { id: 'u1', agency: 'pd' } };

describe('config schema', () => {
  it('accepts the shipped configs', () => {
    for (const f of ['config/default.yaml', 'config/demo.yaml']) {
      expect(() => loadConfig(resolve(ROOT, f))).not.toThrow();
    }
  });

  it('fills defaults and freezes the result', () => {
    const c = parseConfigText('version: 1\nunit: { id: u1, agency: pd }\n', tmp);
    expect(c.unit.mode).toBe('car');
    expect(c.store.retentionDays).toBe(7);
    expect(c.recognize.threads).toBe(1);
    expect(c.gps.type).toBe('none');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.unit)).toBe(true);
    expect(() => {
      (c.unit as { id: string }).id = 'x';
    }).toThrow(TypeError);
  });

  it('resolves relative paths against the config folder', () => {
    const c = parseConfigText(
      'version: 1\nunit: { id: u1, agency: pd }\npaths: { dataDir: data }\ncameras: [{ id: f, type: file, orientation: front, path: frames }]\n',
      '/etc/alpr',
    );
    expect(c.paths.dataDir).toBe('/etc/alpr/data');
    expect(c.cameras[0]!.type === 'file' && c.cameras[0]!.path).toBe('/etc/alpr/frames');
  });

  it.each([
    ['missing version', { unit: minimal.unit }, 'version: is required (supported: 1;'],
    [
      'wrong version',
      { ...minimal, version: 2 },
      'version: 2 is not a supported config version; supported: 1',
    ],
    [
      'unknown top key',
      { ...minimal, colour: 'red' },
      'colour: unknown key; known keys here: alerts, cameras,',
    ],
    [
      'unknown nested key',
      { ...minimal, unit: { ...minimal.unit, color: 1 } },
      'unit.color: unknown key; known keys here: agency, id, mode',
    ],
    [
      'bad enum names allowed values',
      { ...minimal, unit: { ...minimal.unit, mode: 'boat' } },
      'unit.mode: unknown value "boat"; allowed: car, trailer',
    ],
    [
      'retention above policy',
      { ...minimal, store: { retentionDays: 731 } },
      'store.retentionDays: policy: at most 730 days',
    ],
    [
      'bad camera type',
      { ...minimal, cameras: [{ id: 'a', type: 'usb', orientation: 'front' }] },
      'cameras[0].type: unknown type "usb"; allowed: file, mjpeg, rtsp, v4l2',
    ],
    [
      'duplicate camera ids',
      {
        ...minimal,
        cameras: [
          { id: 'a', type: 'file', orientation: 'front', path: 'x' },
          { id: 'a', type: 'file', orientation: 'rear', path: 'y' },
        ],
      },
      'cameras[1].id: duplicate camera id "a"',
    ],
    [
      'images uploaded but never queued',
      { ...minimal, sync: { type: 'mqtt', url: 'mqtts://b:8883', images: true } },
      'sync.images: is true but store.outboxImages is false',
    ],
    [
      'several recognizer workers without worker threads',
      { ...minimal, recognize: { worker: false, workers: 2 } },
      'recognize.workers: is 2 but recognize.worker is false',
    ],
    [
      'more workers than allowed',
      { ...minimal, recognize: { workers: 9 } },
      'recognize.workers: must be at most',
    ],
    [
      'unknown recognize profile names the allowed ones',
      { ...minimal, recognize: { profile: 'turbo' } },
      'recognize.profile: unknown value "turbo"; allowed: accurate, fast, thorough',
    ],
  ])('%s', (_name, raw, expected) => {
    const problems = configProblems(raw);
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('fills the recognizer settings from its profile; explicit settings win', () => {
    const r = (recognize: object) =>
      resolveRecognize(parseConfigText(JSON.stringify({ ...minimal, recognize }), tmp).recognize);
    const full = {
      detector: 'ppocr',
      secondReader: 'ppocr',
      refine: 1,
      detSecondSide: 480,
      detMaxSide: 1440,
    };
    expect(r({})).toMatchObject({ profile: 'accurate', ...full, escalateBelow: 0.5 });
    expect(r({ profile: 'thorough' })).toMatchObject({ ...full, escalateBelow: 0 });
    expect(r({ profile: 'fast' })).toMatchObject({
      detector: 'plate-det',
      secondReader: 'none',
      refine: 0,
      escalateBelow: 0,
      detSecondSide: 0,
      detMaxSide: 960,
    });
    expect(r({ detSecondSide: 0 }).detSecondSide).toBe(0);
    expect(r({ detMaxSide: 1280 }).detMaxSide).toBe(1280);
    // the side follows the detector: plate-det reads best at the 960 px it was distilled at
    expect(r({ detector: 'plate-det' }).detMaxSide).toBe(960);
    expect(r({ profile: 'fast', detector: 'ppocr' }).detMaxSide).toBe(1440);
    expect(r({ profile: 'fast', secondReader: 'ppocr' })).toMatchObject({
      detector: 'plate-det',
      secondReader: 'ppocr',
      refine: 0,
    });
    expect(r({ escalateBelow: 0.8 })).toMatchObject({ ...full, escalateBelow: 0.8 });
    // the first pass of an escalating configuration: the fast pipeline, one crop per region
    expect(firstPass(r({ recModel: '/m/rec.onnx' }))).toMatchObject({
      detector: 'plate-det',
      secondReader: 'none',
      refine: 0,
      cropVariants: 1,
      detMaxSide: 768,
      // the screen: 3 regions, no coarse second detector pass
      maxRegions: 3,
      detSecondSide: 0,
      recModel: '/m/rec.onnx',
    });
    expect(firstPass(r({ detMaxSide: 640 })).detMaxSide).toBe(640);
    // int8 plate-rec: by default the screen's alone; 'all' everywhere, 'none' nowhere
    expect([r({}).quantized, firstPass(r({})).quantized]).toEqual([false, true]);
    expect([r({ int8: 'all' }).quantized, firstPass(r({ int8: 'all' })).quantized]).toEqual([true, true]);
    expect([r({ int8: 'none' }).quantized, firstPass(r({ int8: 'none' })).quantized]).toEqual([false, false]);
    // the screen's gate after a sure read: at the screen's own sure threshold, off at screenGate 0
    expect([r({}).sureStop, firstPass(r({})).sureStop]).toEqual([undefined, 0.5]);
    expect(firstPass(r({ escalateBelow: 0.7 })).sureStop).toBe(0.7);
    expect(firstPass(r({ screenGate: 0 })).sureStop).toBeUndefined();
  });

  it('accepts images on when both sides agree', () => {
    const raw = {
      ...minimal,
      sync: { type: 'mqtt', url: 'mqtts://b:8883', images: true },
      store: { outboxImages: true },
    };
    expect(configProblems(raw)).toEqual([]);
  });

  it('names a missing file with its own code', () => {
    try {
      loadConfig(join(tmp, 'nope.yaml'));
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).code).toBe(ErrorCodes.CONFIG_READ);
    }
  });
});

describe('alpr config check', () => {
  it('prints all three mistakes with their paths and exits 1', () => {
    const f = join(tmp, 'three.yaml');
    writeFileSync(
      f,
      [
        'version: 1',
        'unit: { id: u1, agency: pd, mode: boat }',
        'cameras:',
        '  - { id: front, type: file, orientation: up, path: frames }',
        'store: { retentionDays: 9999 }',
        '',
      ].join('\n'),
    );
    const r = runCli(['config', 'check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        `config ${f} has 3 problems`,
        '  unit.mode: unknown value "boat"; allowed: car, trailer (line 2)',
        '  cameras[0].orientation: unknown value "up"; allowed: front, left, rear, right (line 4)',
        '  store.retentionDays: policy: at most 730 days (2 years) (line 5)',
        '',
      ].join('\n'),
    );
  });

  it('exits 0 on the demo config', () => {
    const r = runCli(['config', 'check', resolve(ROOT, 'config/demo.yaml')]);
    expect(r.stdout).toContain('OK');
    expect(r.code).toBe(0);
  });
});
