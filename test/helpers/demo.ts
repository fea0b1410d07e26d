/** The project's demo fixtures (fixtures/demo): its folder, and each frame's file and plate. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEMO = resolve(import.meta.dirname, '../../fixtures/demo');
export const DEMO_FRAMES = join(DEMO, 'frames');

/** fixtures/demo/plates.json: the plate shown on each demo frame, in frame order. */
export const DEMO_PLATES = JSON.parse(readFileSync(join(DEMO, 'plates.json'), 'utf8')) as {
  file: string;
  plate: string;
}[];
/** The hot-list plate of the demo (fixtures/demo/hotlist.csv). */
export const DEMO_HOT = '4RDW219';
