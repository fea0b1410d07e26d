/** Loading the recognizer: which models, which readers, onnxruntime sessions, warm-up. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Logger } from '../core/log.ts';
import {
  escalates,
  firstPass,
  type ResolvedRecognize,
  resolveRecognize,
} from '../config/sections/recognize.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { RgbImage } from '../domain/types.ts';
import { CascadeRecognizer, ScreenRecognizer } from './cascade.ts';
import { PlateClassifier } from './plate-cls.ts';
import { PpocrRecognizer, type RecognizeConfig, type Recognizer } from './ppocr.ts';
import {
  PLATE_REC_INT8_MODEL,
  PLATE_REC_MODEL,
  plateRecReader,
  ppocrReader,
  type ReaderKind,
  type ReaderSpec,
} from './reader.ts';

const MODEL_DIR = fileURLToPath(new URL('../../models/ppocr/', import.meta.url));
export const DEFAULT_MODELS = {
  det: `${MODEL_DIR}ch_PP-OCRv4_det_fused.onnx`,
  rec: `${MODEL_DIR}ch_PP-OCRv4_rec_plate.onnx`,
  keys: `${MODEL_DIR}plate_keys.txt`,
};

/**
 * No memory arena but in screen workers: the arena keeps each session's peak activations for good
 * (PP-OCRv4's detector at 960 px: ~200 MB held against ~60 MB without; plate-rec ~24 → ~15 MB),
 * and a worker holds several sessions. The same outputs; `npx tsx scripts/bench/memory.ts` for the figures. Memory
 * patterns stay on (off: no smaller here), and graph optimisation stays `all` (lower levels change
 * the outputs in the last digits and save nothing measurable).
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableCpuMemArena: false,
};

async function loadSession(path: string, threads: number, arena = false): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, {
      ...SESSION_OPTIONS,
      intraOpNumThreads: threads,
      enableCpuMemArena: arena,
    });
  } catch (err) {
    const message = (err as Error).message;
    // the file is not there, or is not a model: what no restart mends (anything else, such as a
    // read error from the card or memory running out, may pass)
    const fileProblem = !existsSync(path) || /Protobuf parsing failed/i.test(message);
    throw new AlprError(
      fileProblem ? ErrorCodes.MODEL_FILE : ErrorCodes.MODEL_LOAD,
      `cannot load model ${path}: ${message}`,
      { cause: err },
    );
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

/** The project's plate classifier (models/plate-cls/, src/recognize/plate-cls.ts). */
export const PLATE_CLS_MODEL = fileURLToPath(
  new URL('../../models/plate-cls/plate-cls.onnx', import.meta.url),
);

function shippedRec(kind: ReaderKind, int8 = false): string {
  if (kind === 'plate-rec') return int8 ? PLATE_REC_INT8_MODEL : PLATE_REC_MODEL;
  return DEFAULT_MODELS.rec;
}

/** Sessions by model path, each loaded once (an escalating recognizer shares its reader). */
class SessionCache {
  private readonly byPath = new Map<string, ort.InferenceSession>();
  constructor(
    private readonly threads: number,
    private readonly arena = false,
  ) {}

  async get(path: string): Promise<ort.InferenceSession> {
    let s = this.byPath.get(path);
    if (!s) {
      s = await loadSession(path, this.threads, this.arena);
      this.byPath.set(path, s);
    }
    return s;
  }

  /** The model files loaded, in the order they were first asked for. */
  paths(): string[] {
    return [...this.byPath.keys()];
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.byPath.values()].map((s) => s.release()));
    this.byPath.clear();
  }
}

/**
 * One detector + reader (+ second reader) pipeline; sessions come from (and stay in) the cache.
 * `legendReader`: load the state's legend reader (only crop reads use it; frames tell the state from
 * the lines their first reader reads).
 */
async function pipeline(cfg: ResolvedRecognize, cache: SessionCache, legendReader = true) {
  // the same model twice is no second opinion
  const secondKind =
    cfg.secondReader === 'none' || cfg.secondReader === cfg.reader ? undefined : cfg.secondReader;
  // the shipped int8 plate-rec where recognize.int8 names this pipeline (a recModel wins)
  const int8 = cfg.quantized === true && cfg.reader === 'plate-rec' && !cfg.recModel;
  const paths = {
    det: cfg.detModel ?? (cfg.detector === 'plate-det' ? PLATE_DET_MODEL : DEFAULT_MODELS.det),
    rec: cfg.recModel ?? shippedRec(cfg.reader, int8),
    second: secondKind && shippedRec(secondKind),
  };
  const spec = await loadReader(cfg.reader, cfg);
  const reader = int8 ? { ...spec, modelVersion: `${spec.modelVersion}-int8` } : spec;
  const secondSpec = secondKind && (await loadReader(secondKind, cfg));
  // One after the other: a session left alive after its twin failed would outlive a worker thread.
  const det = await cache.get(paths.det);
  const rec = await cache.get(paths.rec);
  const second =
    paths.second && secondSpec ? { rec: await cache.get(paths.second), reader: secondSpec } : undefined;
  // the words around a registration are any text: PP-OCRv4's reader, without the plate class prior
  const legend =
    cfg.state && legendReader
      ? {
          rec: await cache.get(DEFAULT_MODELS.rec),
          reader: { ...(await loadReader('ppocr', cfg)), weights: undefined },
        }
      : undefined;
  // the classifier ranks regions (plateClassifier), gates the screen's after a sure read (sureStop)
  // and weighs the confidence of reads that are not shaped like a serial (weighWords)
  const plateCls =
    cfg.plateClassifier || cfg.sureStop || cfg.weighWords
      ? new PlateClassifier(await cache.get(PLATE_CLS_MODEL))
      : undefined;
  return { recognizer: new PpocrRecognizer(cfg, det, rec, reader, second, legend, plateCls), paths, reader };
}

/**
 * What a recognizer loads. all: everything its profile reads with (eval, bench, the daemon's
 * in-thread recognizer and a pool's full worker). screen: an escalating profile's screen alone,
 * without the legend reader (a ScreenRecognizer: the screen workers of an idle-escalating pool,
 * see poolRoles); for a profile that does not escalate, the same as all.
 */
export type RecognizerRole = 'all' | 'screen';

/** The screen, its sessions from the cache: for a screen worker. */
async function screenOnly(cfg: ResolvedRecognize, cache: SessionCache) {
  const first = await pipeline(firstPass(cfg), cache, false);
  const recognizer = new ScreenRecognizer(first.recognizer, cfg.escalateBelow, () => cache.releaseAll());
  return { recognizer, main: first };
}

/** The configured pipeline, with a screen before it when the profile escalates. */
async function whole(cfg: ResolvedRecognize, cache: SessionCache) {
  const main = await pipeline(cfg, cache);
  if (!escalates(cfg)) return { recognizer: main.recognizer as Recognizer, main };
  const first = await pipeline(firstPass(cfg), cache);
  const recognizer = new CascadeRecognizer(first.recognizer, main.recognizer, cfg.escalateBelow, () =>
    cache.releaseAll(),
  );
  return { recognizer, main };
}

/** Loads the models (config paths or the shipped ones) and warms them up once. */
export async function createRecognizer(
  section: RecognizeConfig,
  log: Logger,
  role: RecognizerRole = 'all',
): Promise<Recognizer> {
  const cfg = resolveRecognize(section);
  const escalate = escalates(cfg);
  const screen = role === 'screen' && escalate;
  // A screen worker reads every frame with the same small models: its arena is reused on every
  // frame (no page faults each run) and its peak is small; elsewhere the arena would hold the
  // thorough pipeline's peak for good (SESSION_OPTIONS).
  const cache = new SessionCache(cfg.threads, screen);
  let built: Awaited<ReturnType<typeof whole>>;
  try {
    built = screen ? await screenOnly(cfg, cache) : await whole(cfg, cache);
  } catch (err) {
    await cache.releaseAll();
    throw err;
  }
  const { recognizer: r, main } = built;
  const t0 = performance.now();
  const gray: RgbImage = { width: 320, height: 160, data: Buffer.alloc(320 * 160 * 3, 128) };
  await r.readFrame(gray);
  if (!screen) await r.readCrop(gray);
  log.info(
    {
      // a worker's logger carries its role already: one `role` key per line
      ...('role' in log.bindings() ? {} : { role: screen ? 'screen' : 'all' }),
      models: cache.paths(),
      det: main.paths.det,
      rec: main.paths.rec,
      profile: cfg.profile,
      detector: screen ? firstPass(cfg).detector : cfg.detector,
      reader: main.reader.kind,
      second: main.paths.second,
      escalateBelow: escalate ? cfg.escalateBelow : null,
      threads: cfg.threads,
      warmupMs: Math.round(performance.now() - t0),
    },
    'recognizer ready',
  );
  return r;
}
