import { describe, expect, it } from 'vitest';
import {
  clipBox,
  iou,
  joinSplitLines,
  labelComponents,
  labelScratch,
  nms,
  padBox,
  unclipBox,
  upsampleQuarterMap,
} from '../../src/recognize/boxes.ts';

const grid = (rows: string[]) => {
  const w = rows[0]!.length;
  const out = new Float32Array(w * rows.length);
  rows.forEach((r, y) => {
    for (let x = 0; x < w; x++) out[y * w + x] = r[x] === '#' ? 0.9 : r[x] === '+' ? 0.5 : 0.1;
  });
  return { w, h: rows.length, map: out };
};

describe('labelComponents', () => {
  it('finds separate 8-connected regions with boxes, areas and mean scores', () => {
    const g = grid(['##....', '##..#.', '.....#', '+.....']);
    const cs = labelComponents(g.map, g.w, g.h, 0.3);
    expect(cs).toHaveLength(3);
    expect(cs[0]).toMatchObject({ box: { x: 0, y: 0, w: 2, h: 2 }, area: 4 });
    expect(cs[0]!.score).toBeCloseTo(0.9);
    // diagonal neighbours join (8-connectivity)
    expect(cs[1]).toMatchObject({ box: { x: 4, y: 1, w: 2, h: 2 }, area: 2 });
    expect(cs[2]).toMatchObject({ box: { x: 0, y: 3, w: 1, h: 1 }, area: 1 });
    expect(cs[2]!.score).toBeCloseTo(0.5);
  });

  it.each([
    [0.95, 0],
    [0.6, 2],
    [0.3, 3],
  ])('threshold %f gives %i components', (thr, n) => {
    const g = grid(['##....', '##..#.', '.....#', '+.....']);
    expect(labelComponents(g.map, g.w, g.h, thr)).toHaveLength(n);
  });

  it('handles one region covering a large map without recursion', () => {
    const w = 800;
    const h = 600;
    const cs = labelComponents(new Float32Array(w * h).fill(1), w, h, 0.5);
    expect(cs).toEqual([{ box: { x: 0, y: 0, w, h }, area: w * h, score: 1 }]);
  });
});

describe('box helpers', () => {
  it('unclips every side by area*ratio/perimeter', () => {
    // 40x10 box, ratio 1.5: d = 400*1.5/100 = 6
    expect(unclipBox({ x: 10, y: 10, w: 40, h: 10 }, 1.5)).toEqual({ x: 4, y: 4, w: 52, h: 22 });
  });

  it.each([
    [{ x: 10, y: 10, w: 100, h: 50 }, 0.1, 0.2, { x: 0, y: 0, w: 120, h: 70 }],
    [{ x: 10, y: 10, w: 100, h: 50 }, 0, -0.1, { x: 10, y: 15, w: 100, h: 40 }],
  ])('pads %o by %f/%f', (box, fx, fy, want) => {
    expect(padBox(box, fx, fy)).toEqual(want);
  });

  it.each([
    [
      { x: -5.5, y: 2.2, w: 20, h: 10 },
      { x: 0, y: 2, w: 15, h: 11 },
    ],
    [
      { x: 90, y: 40, w: 50, h: 50 },
      { x: 90, y: 40, w: 10, h: 10 },
    ],
    [{ x: 120, y: 0, w: 5, h: 5 }, null],
  ])('clips %o to 100x50', (box, want) => {
    expect(clipBox(box, 100, 50)).toEqual(want);
  });

  it.each([
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 0, y: 0, w: 10, h: 10 }, 1],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 }, 50 / 150],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 0, w: 10, h: 10 }, 0],
    [{ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 }, 0],
  ])('iou(%o, %o) = %f', (a, b, v) => {
    expect(iou(a, b)).toBeCloseTo(v);
  });

  it('nms keeps the best of overlapping boxes and all disjoint ones', () => {
    const items = [
      { id: 'a', box: { x: 0, y: 0, w: 10, h: 10 }, s: 0.5 },
      { id: 'b', box: { x: 1, y: 1, w: 10, h: 10 }, s: 0.9 },
      { id: 'c', box: { x: 50, y: 50, w: 10, h: 10 }, s: 0.2 },
    ];
    const kept = nms(
      items,
      (i) => i.box,
      (i) => i.s,
      0.3,
    );
    expect(kept.map((k) => k.id)).toEqual(['b', 'c']);
  });
});

describe('joinSplitLines', () => {
  const r = (x: number, y: number, w: number, h: number, score = 0.8) => ({ box: { x, y, w, h }, score });

  it('joins the two overlapping halves of one line (a serial split at its gap) into their union', () => {
    // the boxes PP-OCRv4 gave for 980YTB: `980Y` and `CYTB`, overlapping once unclipped
    const out = joinSplitLines([r(85, 324, 64, 30, 0.7), r(135, 322, 49, 27, 0.9), r(400, 100, 80, 20)]);
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({ box: { x: 85, y: 322, w: 99, h: 32 }, score: 0.9 });
    expect(out[1]).toEqual(r(400, 100, 80, 20));
  });

  it('joins pieces that only touch, and a line split in three, whatever their order', () => {
    expect(joinSplitLines([r(50, 0, 50, 20), r(0, 0, 50, 20)])).toEqual([r(0, 0, 100, 20)]);
    const three = joinSplitLines([r(200, 2, 40, 20), r(0, 0, 110, 22), r(100, 1, 105, 20)]);
    expect(three).toEqual([r(0, 0, 240, 22)]);
  });

  it('keeps apart regions with a gap, lines stacked above one another, and text of another size', () => {
    const gap = [r(0, 0, 50, 20), r(51, 0, 50, 20)];
    expect(joinSplitLines(gap)).toEqual(gap);
    // a legend right above the serial, overlapping it horizontally
    const stacked = [r(0, 30, 100, 20), r(10, 12, 80, 20)];
    expect(joinSplitLines(stacked)).toEqual(stacked);
    // a small sticker touching the serial's end: twice as short
    const sticker = [r(0, 0, 100, 30), r(95, 5, 20, 14)];
    expect(joinSplitLines(sticker)).toEqual(sticker);
    // half a line off: overlapping by less than 0.6 of the height
    const offset = [r(0, 0, 50, 20), r(45, 9, 50, 20)];
    expect(joinSplitLines(offset)).toEqual(offset);
  });
});

describe('upsampleQuarterMap', () => {
  /** Every pixel upsampled (bilinear, half-pixel centres, clamped edges): the reference. */
  function fullUpsample(m: Float32Array, w4: number, h4: number): Float32Array {
    const w = w4 * 4;
    const out = new Float32Array(w * h4 * 4);
    for (let y = 0; y < h4 * 4; y++) {
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w4 - 1, Math.max(0, (x + 0.5) / 4 - 0.5));
        const sy = Math.min(h4 - 1, Math.max(0, (y + 0.5) / 4 - 0.5));
        const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
        const [x1, y1] = [Math.min(w4 - 1, x0 + 1), Math.min(h4 - 1, y0 + 1)];
        const v = (xx: number, yy: number) => m[yy * w4 + xx]!;
        const top = v(x0, y0) * (1 - (sx - x0)) + v(x1, y0) * (sx - x0);
        const bot = v(x0, y1) * (1 - (sx - x0)) + v(x1, y1) * (sx - x0);
        out[y * w + x] = top * (1 - (sy - y0)) + bot * (sy - y0);
      }
    }
    return out;
  }

  it('finds the same components as the fully upsampled map, at the edges too', () => {
    const [w4, h4] = [40, 24];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const m = new Float32Array(w4 * h4).map(() => rnd() * 0.25);
    const blob = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w4 + x] = 0.5 + rnd() * 0.5;
    };
    blob(5, 5, 15, 8); // a text line
    blob(0, 0, 6, 2); // touching the top-left corner
    blob(34, 20, 40, 24); // touching the bottom-right corner
    blob(17, 5, 19, 8); // two cells from the first line: separate at full resolution
    const full = fullUpsample(m, w4, h4);
    const sparse = upsampleQuarterMap(m, w4, h4, 0.3);
    const ref = labelComponents(full, w4 * 4, h4 * 4, 0.3);
    const got = labelComponents(sparse, w4 * 4, h4 * 4, 0.3);
    expect(ref.length).toBe(4);
    expect(got.map((c) => c.box)).toEqual(ref.map((c) => c.box));
    expect(got.map((c) => c.area)).toEqual(ref.map((c) => c.area));
    got.forEach((c, i) => {
      expect(c.score).toBeCloseTo(ref[i]!.score, 5);
    });
    // every pixel at or above the threshold has its exact value; the rest are below it
    for (let i = 0; i < full.length; i++) {
      if (full[i]! >= 0.3) expect(sparse[i]).toBeCloseTo(full[i]!, 6);
      else expect(sparse[i]).toBeLessThan(0.3);
    }
    // arrays reused from another frame (as the detector reuses them) give the same map and
    // components, whatever they held
    const dirtyMap = new Float32Array(full.length).fill(0.9);
    const again = upsampleQuarterMap(m, w4, h4, 0.3, dirtyMap);
    expect(again).toBe(dirtyMap);
    expect(Array.from(again)).toEqual(Array.from(sparse));
    const scratch = labelScratch(full.length);
    scratch.seen.fill(1);
    scratch.stack.fill(-1);
    expect(labelComponents(again, w4 * 4, h4 * 4, 0.3, scratch)).toEqual(got);
    // a larger scratch is kept, a smaller one replaced; a map of another size is not written into
    expect(labelScratch(10, scratch)).toBe(scratch);
    expect(labelScratch(full.length + 1, scratch)).not.toBe(scratch);
    expect(upsampleQuarterMap(m, w4, h4, 0.3, new Float32Array(5))).toHaveLength(full.length);
  });

  it('marks the blocks it computed; labelling with that mask skips the rest and finds the same components', () => {
    const [w4, h4] = [40, 24];
    const m = new Float32Array(w4 * h4).fill(0.05);
    const put = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w4 + x] = 0.8;
    };
    put(5, 5, 15, 8);
    put(0, 0, 3, 2);
    put(36, 21, 40, 24);
    put(20, 12, 21, 13);
    const filled = new Uint8Array(w4 * h4).fill(1);
    const map = upsampleQuarterMap(m, w4, h4, 0.3, null, filled);
    // the 3×3 cells around each hot cell, nothing else
    expect(filled[6 * w4 + 10]).toBe(1);
    expect(filled[12 * w4 + 21]).toBe(1);
    expect(filled[12 * w4 + 22]).toBe(0);
    expect(filled[15 * w4 + 10]).toBe(0);
    const plain = labelComponents(map, w4 * 4, h4 * 4, 0.3);
    const skipping = labelComponents(map, w4 * 4, h4 * 4, 0.3, undefined, filled);
    expect(plain).toHaveLength(4);
    expect(skipping).toEqual(plain);
    // the mask is believed: a region in a block it marks empty is not found
    const lying = filled.slice();
    lying.fill(0, 12 * w4, 13 * w4);
    expect(labelComponents(map, w4 * 4, h4 * 4, 0.3, undefined, lying)).toHaveLength(3);
    // a mask of the wrong size is ignored
    expect(labelComponents(map, w4 * 4, h4 * 4, 0.3, undefined, new Uint8Array(3))).toEqual(plain);
  });
});
