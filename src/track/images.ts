import sharp from 'sharp';
import type { Box, Frame } from '../domain/types.ts';
import { padBox } from './pure.ts';

/** Overview JPEGs are at most this wide. */
const OVERVIEW_WIDTH = 1280;

/** The padded plate crop and a (downscaled) overview, both JPEG, cut from one full-resolution frame. */
export async function cutImages(
  frame: Frame,
  box: Box,
): Promise<{ plateJpeg: Buffer | undefined; overviewJpeg: Buffer }> {
  const raw = { raw: { width: frame.width, height: frame.height, channels: 3 as const } };
  const r = padBox(box, frame.width, frame.height, 0.15, 0.3);
  const plate =
    r.w >= 2 && r.h >= 2
      ? sharp(frame.data, raw)
          .extract({ left: r.x, top: r.y, width: r.w, height: r.h })
          .jpeg({ quality: 90 })
          .toBuffer()
      : Promise.resolve(undefined);
  const overview = sharp(frame.data, raw)
    .resize({ width: Math.min(OVERVIEW_WIDTH, frame.width), withoutEnlargement: true })
    .jpeg({ quality: 75 })
    .toBuffer();
  const [plateJpeg, overviewJpeg] = await Promise.all([plate, overview]);
  return { plateJpeg, overviewJpeg };
}
