/** A demo frame with SVG overlays (signs, badges, numbers) painted on it, as raw RGB. */
import { join } from 'node:path';
import sharp from 'sharp';
import type { Box, RgbImage } from '../../src/domain/types.ts';
import { DEMO } from './demo.ts';

/** True when a read's box centre lies inside `b` (a painted overlay's box). */
export function centredIn(r: { box: Box }, b: Box): boolean {
  const cx = r.box.x + r.box.w / 2;
  const cy = r.box.y + r.box.h / 2;
  return cx >= b.x && cx <= b.x + b.w && cy >= b.y && cy <= b.y + b.h;
}

export interface Overlay {
  svg: string;
  box: Box;
}

export async function paintOnDemoFrame(
  file: string,
  overlays: readonly Overlay[],
): Promise<{ img: RgbImage; boxes: Box[] }> {
  const { data, info } = await sharp(join(DEMO, 'frames', file))
    .composite(overlays.map((o) => ({ input: Buffer.from(o.svg), left: o.box.x, top: o.box.y })))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { img: { width: info.width, height: info.height, data }, boxes: overlays.map((o) => o.box) };
}
