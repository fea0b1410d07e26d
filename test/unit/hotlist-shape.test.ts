import { describe, expect, it } from 'vitest';
import { PlateIndexBuilder } from '../../src/hotlist/plate-index.ts';
import { addShapeCounts, shapeDensity, shapeOf, shapeSpace } from '../../src/hotlist/shape.ts';
import { mulberry32 } from '../../scripts/prng.ts';

describe('plate shapes and how full the lists are around a text', () => {
  it('a shape is the length and the digit positions', () => {
    expect(shapeOf('7ABC123')).toBe(shapeOf('8XYZ999'));
    expect(shapeOf('7ABC123')).not.toBe(shapeOf('ABC1234'));
    expect(shapeOf('ABC123')).not.toBe(shapeOf('ABC1234'));
    expect(shapeOf('')).toBeNull();
    expect(shapeOf('ABC12345X')).toBeNull();
    expect(shapeOf('AB*12')).toBeNull();
    expect(shapeOf('ab123')).toBeNull();
    // 1 digit + 3 letters + 3 digits: 10^4 · 23^3
    expect(shapeSpace(shapeOf('7ABC123')!)).toBe(10 ** 4 * 23 ** 3);
    expect(shapeSpace(shapeOf('123456')!)).toBe(10 ** 6);
  });

  it('density is the listed share of the shape, capped at 1; 0 for shapes no entry has', () => {
    const counts = new Map<number, number>([[shapeOf('123456')!, 50_000]]);
    expect(shapeDensity(counts, '999999')).toBeCloseTo(0.05);
    expect(shapeDensity(counts, '99999')).toBe(0);
    expect(shapeDensity(counts, 'ABC*')).toBe(0);
    expect(shapeDensity(new Map([[shapeOf('12')!, 1e6]]), '34')).toBe(1);
    const sum = new Map(counts);
    addShapeCounts(sum, counts);
    expect(shapeDensity(sum, '999999')).toBeCloseTo(0.1);
  });

  it("the plate index counts its plates' shapes exactly as shapeOf does, for every glyph", () => {
    const r = mulberry32(5);
    const glyphs = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const plates: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const len = 1 + Math.floor(r() * 8);
      let t = '';
      for (let k = 0; k < len; k++) t += glyphs[Math.floor(r() * glyphs.length)];
      plates.push(t);
    }
    plates.push('7ABC123', '7ABC123'); // a plate on two rows counts twice, as the lists hold it
    const b = new PlateIndexBuilder(plates.length);
    for (const p of plates) b.add(p);
    const want = new Map<number, number>();
    for (const p of plates) want.set(shapeOf(p)!, (want.get(shapeOf(p)!) ?? 0) + 1);
    const got = b.finish().shapeCounts();
    expect(new Map([...got].sort((a, c) => a[0] - c[0]))).toEqual(
      new Map([...want].sort((a, c) => a[0] - c[0])),
    );
  });
});
