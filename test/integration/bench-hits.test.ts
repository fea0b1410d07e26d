/**
 * The hits bench on a manifest of the shared data's format (../shared/data/README.md) holding both
 * frames and plate crops: each is read as the unit reads it (onnxruntime on rendered images) and
 * the figures count every labelled plate. Crops used to be left out silently, so a manifest of
 * crops gave a line of zeros.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { figuresAt, readManifest } from '../../scripts/bench/hits.ts';
import { plateSvg } from '../helpers/plate-svg.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpr-bench-hits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeCrop(name: string, text: string): Promise<void> {
  await sharp(Buffer.from(plateSvg(text, 320, 160)))
    .jpeg({ quality: 92 })
    .toFile(join(dir, name));
}

const BOX = [520, 400, 240, 120] as const;

async function writeFrame(name: string, text: string): Promise<void> {
  const plate = await sharp(Buffer.from(plateSvg(text, BOX[2], BOX[3])))
    .png()
    .toBuffer();
  await sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: 96, g: 100, b: 104 } } })
    .composite([{ input: plate, left: BOX[0], top: BOX[1] }])
    .jpeg({ quality: 92 })
    .toFile(join(dir, name));
}

describe('npm run bench -- hits on any labelled manifest', () => {
  it('reads plate crops whole and frames with and without their plates, and counts every labelled plate', async () => {
    await writeCrop('crop-1.jpg', '5KXT942');
    await writeCrop('crop-2.jpg', '8MPL206');
    await writeFrame('frame-1.jpg', '7ABC123');
    const line = (image: string, text: string, crop: boolean, box: readonly number[]) =>
      JSON.stringify({ image, region: 'us', ...(crop ? { crop: true } : {}), plates: [{ text, box }] });
    const manifest = join(dir, 'mixed.jsonl');
    writeFileSync(
      manifest,
      `${[
        line('crop-1.jpg', '5KXT942', true, [0, 0, 320, 160]),
        line('crop-2.jpg', '8MPL206', true, [0, 0, 320, 160]),
        line('frame-1.jpg', '7ABC123', false, BOX),
      ].join('\n')}\n`,
    );

    const reads = await readManifest(manifest, dir);
    expect(reads.map((r) => r.truth)).toEqual([['5KXT942'], ['8MPL206'], ['7ABC123']]);
    // a crop is one whole-plate read, with nothing left to read once painted over
    expect(reads[0]!.plates.map((p) => p.text)).toEqual(['5KXT942']);
    expect(reads[1]!.plates.map((p) => p.text)).toEqual(['8MPL206']);
    expect(reads[0]!.masked).toEqual([]);
    // the frame's plate is read, and gone from the frame painted over
    expect(reads[2]!.plates[0]!.text).toBe('7ABC123');
    expect(reads[2]!.masked.map((p) => p.text)).not.toContain('7ABC123');
    // the CTC outputs the judgement needs come with crop reads too
    expect(reads[0]!.plates[0]!.evidence?.length).toBeGreaterThan(0);

    const f = figuresAt(reads, 1000, 0.2, 0.05);
    expect(f.recall_any).toBe(1);
    expect(f.reads).toBeGreaterThanOrEqual(3);
  });

  it('refuses a manifest with no image instead of printing zeros', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    await expect(readManifest(empty, dir)).rejects.toThrow(/no labelled images/);
  });
});
