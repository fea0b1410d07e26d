import { describe, expect, it } from 'vitest';
import { clipBox, iou, labelComponents, nms, padBox, unclipBox } from '../../src/recognize/boxes.ts';

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
