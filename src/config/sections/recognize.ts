import { z } from 'zod';
import { pathString } from './common.ts';

export const recognizeSection = z
  .strictObject({
    type: z.enum(['ppocr']).default('ppocr').describe('Recognizer backend'),
    detModel: pathString.optional().describe('Detector ONNX; default: the shipped model'),
    recModel: pathString.optional().describe('Recognizer ONNX; default: the shipped model'),
    threads: z.number().int().min(1).max(16).default(1),
    detMaxSide: z.number().int().min(320).max(2048).default(960).describe('Long side the detector sees'),
    detThreshold: z.number().min(0.05).max(0.95).default(0.3),
    minConfidence: z.number().min(0).max(1).default(0.5).describe('Plates read below this are dropped'),
    topN: z.number().int().min(1).max(20).default(10),
  })
  .prefault({});
