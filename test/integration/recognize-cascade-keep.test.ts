/**
 * A frame sent on keeps the screen's reads of regions the full pipeline does not find
 * (CascadeRecognizer.readFrame), with the real models: a plate-like panel behind a chain-link fence
 * is found by the screen's plate-det and missed by PP-OCRv4's detector, and the frame's reads are
 * the full pipeline's followed by the screen's read of the panel.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { iou } from '../../src/recognize/boxes.ts';
import { CascadeRecognizer } from '../../src/recognize/cascade.ts';
import { createRecognizer, type Recognizer } from '../../src/recognize/index.ts';
import { DEMO_PLATES } from '../helpers/demo.ts';
import { centredIn as inside, type Overlay, paintOnDemoFrame } from '../helpers/painted-frame.ts';

/** A bordered panel with a serial behind diagonal wire, 2 px every 10 px. */
function fencedPanel(x: number, y: number): Overlay {
  const w = 260;
  const h = 130;
  let wire = '';
  for (let k = -h; k < w + h; k += 10) {
    const line = (x1: number, x2: number) =>
      `<line x1="${x1}" y1="0" x2="${x2}" y2="${h}" stroke="#555" stroke-width="2" stroke-opacity="0.8"/>`;
    wire += line(k, k + h) + line(k + h, k);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect x="20" y="25" width="220" height="80" fill="#f4f4f4" stroke="#202020" stroke-width="4"/><text x="34" y="85" font-family="DejaVu Sans" font-weight="bold" font-size="48" fill="#1d2f80">5ABC123</text>${wire}</svg>`;
  return { svg, box: { x, y, w, h } };
}

describe('a frame sent on keeps the screen reads the full pipeline has no region for', () => {
  let rec: Recognizer;
  beforeAll(async () => {
    // every frame sent on, whatever the screen reads
    rec = await createRecognizer(recognizeSection.parse({ escalateBelow: 1 }), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await rec?.close();
  });

  it('answers the full pipeline’s reads, then the screen’s read of the fenced panel', async () => {
    expect(rec).toBeInstanceOf(CascadeRecognizer);
    const c = rec as CascadeRecognizer;
    let kept = 0;
    for (const p of DEMO_PLATES.slice(0, 4)) {
      const { img, boxes } = await paintOnDemoFrame(p.file, [fencedPanel(950, 200)]);
      const screen = (await c.screenFrame(img)).plates;
      const full = await c.thoroughFrame(img);
      const reads = await c.readFrame(img);
      const unmatched = screen.filter((s) => !full.some((f) => iou(s.box, f.box) > 0.3));
      expect(
        reads.map((r) => r.text),
        p.file,
      ).toEqual([...full, ...unmatched].map((r) => r.text));
      expect(reads[0]?.text, p.file).toBe(p.plate);
      if (unmatched.some((r) => inside(r, boxes[0]!)) && !full.some((r) => inside(r, boxes[0]!))) kept++;
    }
    // the fence hides the panel from PP-OCRv4's detector on most frames: the case is exercised
    expect(kept).toBeGreaterThanOrEqual(2);
  });
});
