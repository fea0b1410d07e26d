import { describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { maskProbs, PLATE_ALPHABET } from '../../src/recognize/ctc.ts';
import { plateRecReader, ppocrReader } from '../../src/recognize/reader.ts';
import { recInputSize } from '../../src/recognize/tensor.ts';

describe('text readers', () => {
  it("defaults to the project's plate-rec reader and accepts ppocr", () => {
    expect(recognizeSection.parse({}).reader).toBe('plate-rec');
    expect(recognizeSection.parse({ reader: 'ppocr' }).reader).toBe('ppocr');
    expect(() => recognizeSection.parse({ reader: 'other' })).toThrow();
  });

  it('plate-rec: RGB, identity classes in PLATE_ALPHABET order, the I/O/Q prior', () => {
    const r = plateRecReader();
    expect(r.norm.bgr).toBe(false);
    expect(r.groups).toEqual([...PLATE_ALPHABET].map((_, j) => [j + 1]));
    // a step sure of O among O and 0 leans to 0; I to 1; every other class is left as it is
    const step = (a: string, b: string) => {
      const row = new Float32Array(37);
      row[PLATE_ALPHABET.indexOf(a) + 1] = 0.5;
      row[PLATE_ALPHABET.indexOf(b) + 1] = 0.4;
      row[0] = 0.1;
      const p = maskProbs(row, 1, 37, r.groups, r.weights);
      return [p[PLATE_ALPHABET.indexOf(a) + 1]!, p[PLATE_ALPHABET.indexOf(b) + 1]!] as const;
    };
    const [o, zero] = step('O', '0');
    expect(zero).toBeGreaterThan(o);
    const [i, one] = step('I', '1');
    expect(one).toBeGreaterThan(i);
    const [a, four] = step('A', '4');
    expect(a / four).toBeCloseTo(0.5 / 0.4, 5);
  });

  it.each([
    // [box w, box h, image width, tensor width]
    [320, 48, 160, 160],
    [100, 48, 100, 120],
    [60, 30, 96, 112],
    [40, 30, 64, 96],
    [150, 48, 150, 160],
    [1000, 50, 160, 160],
  ])('plate-rec input of a %ix%i crop is %i px in a %i-px tensor', (w, h, outW, tensorW) => {
    const r = plateRecReader();
    expect(recInputSize(w, h, r.height, r.maxW, r.minTensorW, r.padW)).toEqual({ w: outW, tensorW });
  });

  it('ppocr: BGR, lowercase folded into plate classes, width up to 320', () => {
    const keys = ['a', 'A', '0', '中'];
    const r = ppocrReader(keys);
    expect(r.norm.bgr).toBe(true);
    expect(r.groups[PLATE_ALPHABET.indexOf('A')]).toEqual([1, 2]);
    expect(r.groups[0]).toEqual([3]);
    expect(recInputSize(1000, 48, r.height, r.maxW, r.minTensorW)).toEqual({ w: 320, tensorW: 320 });
  });
});
