import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/eval/manifest.ts';
import { type Prediction, summarize } from '../../src/eval/score.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const DEV = resolve(ROOT, '../shared/data/plates-dev');
const MANIFEST = join(DEV, 'endtoend-us.jsonl');
const present = existsSync(MANIFEST);
if (!present)
  console.warn(`eval-dev: skipped, ${MANIFEST} is absent (the shared dev set is not beside this checkout)`);

describe.skipIf(!present)('alpr eval on the first 10 dev frames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alpr-eval-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `alpr eval --json` on the first 10 frames (plus `extra`): the printed summary and predictions. */
  async function evalRun(name: string, extra: string[] = []) {
    const out = join(dir, `${name}.jsonl`);
    const { stdout } = await run(
      process.execPath,
      [
        ...['--import', 'tsx', 'src/cli.ts', 'eval', '--manifest', MANIFEST, '--root', DEV],
        ...['--out', out, '--limit', '10', '--json', ...extra],
      ],
      { cwd: ROOT, env: { ...process.env, ALPR_LOG_LEVEL: 'warn' }, timeout: 120_000 },
    );
    const preds = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Prediction);
    return { printed: JSON.parse(stdout.trim().split('\n').at(-1)!), preds };
  }

  it('writes well-formed predictions and scores consistent with them', async () => {
    const { printed, preds } = await evalRun('pred');
    const lines = parseManifest(readFileSync(MANIFEST, 'utf8')).slice(0, 10);
    expect(preds.map((p) => p.image)).toEqual(lines.map((l) => l.image));
    for (const p of preds) {
      expect(Object.keys(p).sort()).toEqual([
        'boxes',
        'candidates',
        'confidences',
        'image',
        'ms',
        'state',
        'state_confidence',
        'texts',
      ]);
      expect(p.texts?.[0]).toBe(p.candidates[0]);
      // a two-letter USPS code with a confidence, or null for both
      if (p.state === null) expect(p.state_confidence).toBeNull();
      else
        expect([p.state, (p.state_confidence ?? -1) >= 0 && (p.state_confidence ?? 2) <= 1]).toEqual([
          expect.stringMatching(/^[A-Z]{2}$/),
          true,
        ]);
      expect(p.confidences).toHaveLength(p.boxes.length);
      for (const c of p.confidences!) expect(c >= 0 && c <= 1).toBe(true);
      expect(p.candidates.length).toBeLessThanOrEqual(10);
      for (const c of p.candidates) expect(c).toMatch(/^[A-Z0-9]{4,8}$/);
      for (const b of p.boxes) {
        expect(b).toHaveLength(4);
        expect(b.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      }
      expect(p.ms).toBeGreaterThan(0);
    }
    const { medianCpuMs, escalated, framesStateNamed, ...scores } = printed;
    expect(framesStateNamed).toBe(preds.filter((p) => p.state).length);
    expect(scores).toEqual(summarize(lines, preds));
    expect(medianCpuMs).toBeGreaterThan(0);
    // the default profile escalates: a share of the 10 frames, in tenths
    expect(escalated).toBeGreaterThanOrEqual(0);
    expect(escalated).toBeLessThanOrEqual(1);
    expect(Math.round(escalated * 10)).toBeCloseTo(escalated * 10, 9);
    expect(printed.images).toBe(10);
    expect(printed.top1).toBeGreaterThanOrEqual(0.2);
    expect(printed.detection).toBeGreaterThanOrEqual(0.5);
  }, 120_000);

  it("with the car's config: the legend look adds states, not reads or frames sent on", async () => {
    // escalation idle (the car's): the legend look runs; inline: the same reads without it
    const car = await evalRun('car', ['--config', 'config/default.yaml']);
    const inline = await evalRun('inline', [
      '--config',
      'config/default.yaml',
      '--recognize',
      '{"escalation":"inline"}',
    ]);
    const reads = (ps: Prediction[]) => ps.map(({ ms: _ms, legend_state: _l, ...p }) => p);
    expect(reads(car.preds)).toEqual(reads(inline.preds));
    expect(car.printed.escalated).toBe(inline.printed.escalated);
    // looked at: frames whose read names no state, of those the screen was sure of (the car looks
    // at no vehicle sent on: the thorough look reads the plate's window itself)
    const looks = car.preds.filter((p) => 'legend_state' in p);
    expect(looks.every((p) => !p.state && p.boxes.length > 0)).toBe(true);
    expect(looks.length).toBeLessThanOrEqual(Math.round((1 - car.printed.escalated) * 10));
    expect(looks.length).toBeGreaterThan(0);
    expect(inline.preds.some((p) => 'legend_state' in p)).toBe(false);
    const looked = car.preds.filter((p) => p.legend_state).length;
    expect([car.printed.framesStateNamed, car.printed.framesStateNamedWithLook]).toEqual([
      inline.printed.framesStateNamed,
      inline.printed.framesStateNamed + looked,
    ]);
    expect(inline.printed.framesStateNamedWithLook).toBeUndefined();
  }, 240_000);
});
