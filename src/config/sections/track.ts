import { z } from 'zod';

/** Tracking: one detection per vehicle, not one per frame. */
export const trackSection = z
  .strictObject({
    leaveMs: z
      .number()
      .int()
      .min(200)
      .max(60_000)
      .default(2000)
      .describe('A plate not seen for this long has left: its detection is emitted'),
    maxTrackMs: z
      .number()
      .int()
      .min(1000)
      .max(600_000)
      .default(15_000)
      .describe('A plate still in view after this long is emitted anyway (once per track)'),
    suppressMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(10_000)
      .describe(
        'The same plate on the same camera within this long of its last detection is the same vehicle',
      ),
    iouMin: z.number().min(0).max(1).default(0.2).describe('Box overlap that links a read to a track'),
    similarityMin: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('Text similarity (look-alikes folded) that links a read to a track wherever its box is'),
    minFrames: z.number().int().min(1).max(30).default(1).describe('Tracks seen on fewer frames are dropped'),
    topN: z.number().int().min(1).max(20).default(10).describe('Alternatives kept with a detection'),
    images: z
      .boolean()
      .default(true)
      .describe('Attach the best plate crop and an overview JPEG cut from the same frame'),
    rawReads: z
      .boolean()
      .default(false)
      .describe("Attach every frame's own read to the detection (for audits)"),
    keepFrames: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(2)
      .describe(
        'Recent frames kept per camera to cut images from, besides the frame being read, which is always held (a 1280x720 frame is 2.7 MB)',
      ),
  })
  .prefault({})
  .describe('One detection per vehicle, voted over the frames it was read on');

export type TrackConfig = z.infer<typeof trackSection>;
