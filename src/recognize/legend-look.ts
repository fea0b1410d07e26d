/**
 * The legend look: a plate the screen read surely but named no state for is looked at again in
 * spare time, its plate-shaped window (plate-cls.ts plateWindow: 15% wider each side, 60% of its
 * height above and below) read as a whole plate, for the state its legend names. The car runs it
 * once per vehicle (stage.ts, idle-queue.ts); the eval counts what it would name (commands/eval.ts).
 */
import type { Box, PlateState, RgbImage } from '../domain/types.ts';
import { plateWindow } from './plate-cls.ts';
import type { Recognizer } from './ppocr.ts';
import { cutImage } from './tensor.ts';

/** The state the legend around the plate at `box` names, or null (no window, or none named). */
export async function legendLook(
  recognizer: Pick<Recognizer, 'readCrop'>,
  frame: RgbImage,
  box: Box,
): Promise<PlateState | null> {
  const win = plateWindow(box, frame.width, frame.height);
  if (!win) return null;
  return (await recognizer.readCrop(cutImage(frame, win)))?.state ?? null;
}
