/**
 * Frames rendered by synth_scenes.py (an N x H x W x 3 uint8 .npy and its --boxes JSON lines), read
 * one at a time, with each plate's truth: its box, its serial's box, its label, and whether a car
 * drawn after it hides part of it; and the runtime's two detectors that find text on them. Shared
 * by the scripts that cut training samples from what those detectors find (region_windows.ts,
 * reader_crops.ts).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { firstPass, recognizeSection, resolveRecognize } from '../../src/config/sections/recognize.ts';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { DEFAULT_MODELS } from '../../src/recognize/index.ts';
import { PLATE_DET_MODEL } from '../../src/recognize/load.ts';
import { PpocrRecognizer } from '../../src/recognize/ppocr.ts';
import { plateRecReader } from '../../src/recognize/reader.ts';

/** A detector of the car's pipeline, with how many crop variants its regions are read at. */
export interface RuntimeDetector {
  name: 'screen' | 'thorough';
  variants: number;
  r: PpocrRecognizer;
}

/**
 * The car's two detectors (the accurate profile): the screen's plate-det at its side and
 * PP-OCRv4's detector of the thorough look, each in a recognizer that reads with plate-rec.
 */
export async function runtimeDetectors(): Promise<RuntimeDetector[]> {
  const accurate = resolveRecognize(recognizeSection.parse({ profile: 'accurate', threads: 2 }));
  const screen = firstPass(accurate);
  const opts = { intraOpNumThreads: 2, interOpNumThreads: 1 };
  const rec = await ort.InferenceSession.create(DEFAULT_MODELS.rec, opts);
  const reader = plateRecReader();
  const session = (path: string) => ort.InferenceSession.create(path, opts);
  return [
    { name: 'screen', variants: screen.cropVariants, r: new PpocrRecognizer(screen, await session(PLATE_DET_MODEL), rec, reader) },
    { name: 'thorough', variants: accurate.cropVariants, r: new PpocrRecognizer(accurate, await session(DEFAULT_MODELS.det), rec, reader) },
  ];
}

export type XYXY = [number, number, number, number];
export interface Truth {
  plate: XYXY;
  serial?: XYXY;
  label?: string;
  hidden?: boolean;
  /** a separator mark drawn over the serial, which may cover part of a character */
  marked?: boolean;
}

export const area = (b: XYXY) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
export const inter = (a: XYXY, b: XYXY): XYXY => [
  Math.max(a[0], b[0]),
  Math.max(a[1], b[1]),
  Math.min(a[2], b[2]),
  Math.min(a[3], b[3]),
];
export const xyxy = (b: Box): XYXY => [b.x, b.y, b.x + b.w, b.y + b.h];

/** Calls `each` with every frame (up to `limit`) of a rendered set and its plates' truths. */
export async function forEachScene(
  npy: string,
  boxes: string,
  limit: number | undefined,
  each: (img: RgbImage, truths: Truth[], i: number, total: number) => Promise<void>,
): Promise<void> {
  const fd = openSync(npy, 'r');
  try {
    const head = Buffer.alloc(256);
    readSync(fd, head, 0, 256, 0);
    const hlen = head.readUInt16LE(8);
    const shape = /\((\d+), (\d+), (\d+), 3\)/.exec(head.subarray(10, 10 + hlen).toString('latin1'));
    if (!shape) throw new Error(`${npy}: not an N x H x W x 3 uint8 .npy`);
    const [, H, W] = shape.slice(1).map(Number) as [number, number, number];
    const lines = readFileSync(boxes, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines.slice(0, limit ?? lines.length)) {
      const img = { width: W, height: H, data: Buffer.alloc(H * W * 3) };
      readSync(fd, img.data, 0, img.data.length, 10 + hlen + l.i * img.data.length);
      const plates = l.plates as { car: XYXY; plate: XYXY; serial: XYXY; label: string; mark?: boolean }[];
      // a plate is hidden when a car drawn after it covers any of it
      const truths: Truth[] = plates.map((p, k) => ({
        plate: p.plate,
        serial: p.serial,
        label: p.label,
        marked: p.mark === true,
        hidden: plates.slice(k + 1).some((c) => area(inter(c.car, p.plate)) > 0),
      }));
      await each(img, truths, l.i, lines.length);
    }
  } finally {
    closeSync(fd);
  }
}
