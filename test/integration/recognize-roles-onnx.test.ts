/**
 * Workers by role with the real models: a screen worker of an idle-escalating pool loads the
 * screen's models alone (plate-det, the int8 plate-rec and the plate classifier; no PP-OCRv4
 * detector, no PP-OCRv4 reader for the second opinion or the state's legend), and screens every
 * demo frame exactly as the whole cascade does.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { ErrorCodes } from '../../src/domain/errors.ts';
import { decodeImageFile, DEFAULT_MODELS, type Recognizer } from '../../src/recognize/index.ts';
import { createRecognizer, PLATE_CLS_MODEL, PLATE_DET_MODEL } from '../../src/recognize/load.ts';
import { framePositionPrior } from '../../src/recognize/plates.ts';
import { PLATE_REC_INT8_MODEL, PLATE_REC_MODEL } from '../../src/recognize/reader.ts';
import type { RgbImage } from '../../src/domain/types.ts';
import { DEMO_FRAMES, DEMO_PLATES } from '../helpers/demo.ts';

/** A logger that keeps the 'recognizer ready' line's fields. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return {
    log: pino({ level: 'info' }, stream),
    ready: () => lines.find((l) => l.msg === 'recognizer ready'),
  };
}

describe('recognizer roles, real models (profile accurate)', () => {
  const section = recognizeSection.parse({ profile: 'accurate', escalation: 'idle', threads: 1 });
  let screen: Recognizer;
  let whole: Recognizer;
  let screenModels: unknown;
  let wholeModels: unknown;
  beforeAll(async () => {
    const a = capture();
    screen = await createRecognizer(section, a.log, 'screen');
    screenModels = a.ready()?.models;
    const b = capture();
    whole = await createRecognizer(section, b.log, 'all');
    wholeModels = b.ready()?.models;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([screen?.close(), whole?.close()]);
  });

  it('a screen recognizer loads the screen models only; the whole one the thorough ones too', () => {
    // the screen reads with the int8 plate-rec (recognize.int8: screen), the thorough look with the
    // float one; the screen's plate classifier gates the regions after a sure read (screenGate)
    expect(screenModels).toEqual([PLATE_DET_MODEL, PLATE_REC_INT8_MODEL, PLATE_CLS_MODEL]);
    expect(wholeModels).toEqual(
      expect.arrayContaining([
        DEFAULT_MODELS.det,
        DEFAULT_MODELS.rec,
        PLATE_DET_MODEL,
        PLATE_REC_MODEL,
        PLATE_REC_INT8_MODEL,
        PLATE_CLS_MODEL,
      ]),
    );
  });

  it('screens every demo frame as the whole cascade does', async () => {
    for (const { file, plate } of DEMO_PLATES) {
      const img = await decodeImageFile(join(DEMO_FRAMES, file));
      const alone = await screen.screenFrame!(img);
      expect(alone, file).toEqual(await whole.screenFrame!(img));
      expect(alone.plates[0]?.text, file).toBe(plate);
    }
  }, 60_000);

  it('leaves out text that touches the border, which the thorough look still reads', async () => {
    const full = await decodeImageFile(join(DEMO_FRAMES, DEMO_PLATES[0]!.file));
    const plate = (await screen.screenFrame!(full)).plates[0]!.box;
    // The frame from the plate's middle rightwards: its left edge cuts the plate in two.
    const x0 = Math.round(plate.x + plate.w / 2);
    const w = full.width - x0;
    const cut: RgbImage = { width: w, height: full.height, data: Buffer.alloc(w * full.height * 3) };
    for (let y = 0; y < full.height; y++)
      full.data.copy(cut.data, y * w * 3, (y * full.width + x0) * 3, (y * full.width + full.width) * 3);
    const touches = (b: { x: number; y: number; w: number; h: number }) =>
      framePositionPrior(b, cut.width, cut.height) < 1;
    const screened = await screen.screenFrame!(cut);
    expect(screened.plates.filter((p) => touches(p.box))).toEqual([]);
    expect(screened.sure).toBe(false);
    const thorough = await whole.readFrame(cut);
    expect(thorough.some((p) => touches(p.box) && p.text.length > 0)).toBe(true);
  }, 60_000);

  it('reads no crops (it has no legend reader) and says so with a code', async () => {
    const img = await decodeImageFile(join(DEMO_FRAMES, DEMO_PLATES[0]!.file));
    await expect(screen.readCrop(img)).rejects.toMatchObject({ code: ErrorCodes.RECOGNIZER_ROLE });
  });
});
