/** Loading the recognizer: which models, which readers, onnxruntime sessions, warm-up. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Logger } from '../core/log.ts';
import { resolveRecognize } from '../config/sections/recognize.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { RgbImage } from '../domain/types.ts';
import { PpocrRecognizer, type RecognizeConfig, type Recognizer } from './ppocr.ts';
import { PLATE_REC_MODEL, plateRecReader, ppocrReader, type ReaderKind, type ReaderSpec } from './reader.ts';

const MODEL_DIR = fileURLToPath(new URL('../../models/ppocr/', import.meta.url));
export const DEFAULT_MODELS = {
  det: `${MODEL_DIR}ch_PP-OCRv4_det_fused.onnx`,
  rec: `${MODEL_DIR}ch_PP-OCRv4_rec_plate.onnx`,
  keys: `${MODEL_DIR}plate_keys.txt`,
};

async function loadSession(path: string, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new AlprError(ErrorCodes.MODEL_LOAD, `cannot load model ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The reader `kind` names; PP-OCRv4's needs its character list. */
async function loadReader(kind: ReaderKind, cfg: RecognizeConfig): Promise<ReaderSpec> {
  if (kind === 'plate-rec') return plateRecReader();
  const keysPath = cfg.keys ?? DEFAULT_MODELS.keys;
  try {
    return ppocrReader((await readFile(keysPath, 'utf8')).replace(/\r/g, '').split('\n'));
  } catch (err) {
    throw new AlprError(ErrorCodes.MODEL_LOAD, `cannot read keys ${keysPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The project's distilled text detector (models/README.md, `plate-det/`). */
export const PLATE_DET_MODEL = fileURLToPath(
  new URL('../../models/plate-det/plate-det.onnx', import.meta.url),
);

function shippedRec(kind: ReaderKind): string {
  return kind === 'plate-rec' ? PLATE_REC_MODEL : DEFAULT_MODELS.rec;
}

/** Loads the models (config paths or the shipped ones) and warms them up once. */
export async function createRecognizer(section: RecognizeConfig, log: Logger): Promise<Recognizer> {
  const cfg = resolveRecognize(section);
  // the same model twice is no second opinion
  const secondKind =
    cfg.secondReader === 'none' || cfg.secondReader === cfg.reader ? undefined : cfg.secondReader;
  const paths = {
    det: cfg.detModel ?? (cfg.detector === 'plate-det' ? PLATE_DET_MODEL : DEFAULT_MODELS.det),
    rec: cfg.recModel ?? shippedRec(cfg.reader),
    second: secondKind && shippedRec(secondKind),
  };
  const reader = await loadReader(cfg.reader, cfg);
  const secondSpec = secondKind && (await loadReader(secondKind, cfg));
  // One after the other: a session left alive after its twin failed would outlive a worker thread.
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const path of [paths.det, paths.rec, paths.second]) {
      if (path) sessions.push(await loadSession(path, cfg.threads));
    }
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
  const [det, rec, secondRec] = sessions as [
    ort.InferenceSession,
    ort.InferenceSession,
    ort.InferenceSession?,
  ];
  const second = secondRec && secondSpec ? { rec: secondRec, reader: secondSpec } : undefined;
  const r = new PpocrRecognizer(cfg, det, rec, reader, second);
  const t0 = performance.now();
  const gray: RgbImage = { width: 320, height: 160, data: Buffer.alloc(320 * 160 * 3, 128) };
  await r.readFrame(gray);
  await r.readCrop(gray);
  log.info(
    {
      det: paths.det,
      rec: paths.rec,
      profile: cfg.profile,
      detector: cfg.detector,
      reader: reader.kind,
      second: paths.second,
      threads: cfg.threads,
      warmupMs: Math.round(performance.now() - t0),
    },
    'recognizer ready',
  );
  return r;
}
