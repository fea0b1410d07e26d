/** The recognize stage: plate detection and reading. */
export { decodeImageFile } from './image.ts';
export { CascadeRecognizer } from './cascade.ts';
export { ctcLogProb } from './ctc.ts';
export { legendLook } from './legend-look.ts';
export { createRecognizer, DEFAULT_MODELS } from './load.ts';
export type { RecognizeConfig, Recognizer } from './ppocr.ts';
export { RecognizeStage, type RecognizeStageDeps } from './stage.ts';
export { createWorkerPool } from './pool.ts';
export { createWorkerRecognizer } from './worker.ts';
