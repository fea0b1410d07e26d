/** Image file I/O for the recognizer and the evaluation tool (sharp → interleaved RGB). */
import sharp from 'sharp';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { RgbImage } from '../domain/types.ts';

/** Decodes a JPEG/PNG/WebP file (EXIF orientation applied) to interleaved 8-bit RGB. */
export async function decodeImageFile(path: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(path)
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data };
  } catch (err) {
    throw new AlprError(ErrorCodes.INPUT, `cannot decode image ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
