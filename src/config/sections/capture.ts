import { z } from 'zod';
import { orientation, pathString } from './common.ts';

const rect = z.strictObject({
  x: z.number().int().min(0).max(4096).describe('Left edge, px from the frame’s left'),
  y: z.number().int().min(0).max(4096).describe('Top edge, px from the frame’s top'),
  w: z.number().int().min(1).max(4096).describe('Width, px'),
  h: z.number().int().min(1).max(4096).describe('Height, px'),
});

const base = {
  id: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'must be 1-32 of a-z 0-9 _ -')
    .describe('Camera name, unique on the unit (on reads, lights and `alpr camera test`)'),
  orientation,
  enabled: z.boolean().default(true).describe('false: configured but not opened'),
  fps: z.number().min(0.1).max(60).default(10).describe('Target frames per second handed to recognition'),
  noFrameTimeoutS: z
    .number()
    .min(1)
    .max(300)
    .default(2)
    .describe(
      'Camera light turns red after this long without a frame (at least 3 frame intervals), and a stalled ffmpeg is restarted; the light is checked every 0.5 s',
    ),
  roi: rect
    .optional()
    .describe('Region of interest in frame pixels: everything outside it is blacked out before recognition'),
  masks: z
    .array(rect)
    .max(16)
    .default([])
    .describe('Areas blacked out before recognition (a timestamp overlay, the car hood), in frame pixels'),
};

export const fileCamera = z.strictObject({
  ...base,
  type: z.literal('file'),
  path: pathString.describe('A folder of JPEG/PNG frames (sorted by name) or a video file'),
  loop: z.boolean().default(true).describe('Start again at the end'),
  width: z
    .number()
    .int()
    .min(160)
    .max(4096)
    .optional()
    .describe('Video files only: scale to this width (default: the video size)'),
  height: z.number().int().min(120).max(2160).optional().describe('Video files only: scale to this height'),
});

export const streamCamera = z.strictObject({
  ...base,
  type: z.enum(['rtsp', 'mjpeg', 'v4l2']),
  url: z
    .string()
    .min(1)
    .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(u), {
      message: 'must not hold a password: put "user:password" in a credentials file named by `credentials`',
    })
    .describe('rtsp://…, http://… (MJPEG) or /dev/videoN'),
  credentials: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a file name (A-Z a-z 0-9 . _ -)')
    .optional()
    .describe('Secret file (in the credentials folder) holding "user:password" for the camera'),
  width: z
    .number()
    .int()
    .min(160)
    .max(4096)
    .default(1280)
    .describe('Frame width asked of the camera or scaled to, px'),
  height: z
    .number()
    .int()
    .min(120)
    .max(2160)
    .default(720)
    .describe('Frame height asked of the camera or scaled to, px'),
  inputFormat: z
    .enum(['mjpeg', 'yuyv422', 'h264'])
    .optional()
    .describe('v4l2 only: the pixel format asked of the camera (USB cameras need mjpeg for 720p at 15+ fps)'),
  restartMaxS: z
    .number()
    .min(1)
    .max(300)
    .default(30)
    .describe('Longest wait between ffmpeg restarts (backoff doubles from 1 s)'),
});

export const cameraSchema = z.discriminatedUnion('type', [fileCamera, streamCamera]);

export const camerasSection = z
  .array(cameraSchema)
  .max(8)
  .default([])
  .describe('The cameras, by `type`: `file` (a folder of frames or a video: demo, tests) or a live stream');
