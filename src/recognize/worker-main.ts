/** Worker-thread side of the off-main-thread recognizer (see worker.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../core/log.ts';
import type { RgbImage } from '../domain/types.ts';
import { createRecognizer, type RecognizerRole } from './load.ts';
import type { RecognizeConfig } from './ppocr.ts';
import { lowerThreadPriority } from './thread-priority.ts';

export interface WorkerRequest {
  id: number;
  kind: 'frame' | 'crop' | 'screen' | 'thorough' | 'close';
  img?: RgbImage;
}

const { cfg, logLevel, role, background } = workerData as {
  cfg: RecognizeConfig;
  logLevel: string;
  role: RecognizerRole;
  /** Run below the other threads (a pool's thorough worker): set before the models load. */
  background?: boolean;
};
const priority = background ? lowerThreadPriority() : null;
const log = createLogger({ level: logLevel }).child({
  stage: 'recognize',
  thread: 'worker',
  role,
  ...(background ? { nice: priority?.nice ?? null, sched: priority?.idle ? 'idle' : 'other' } : {}),
});
if (background && !priority)
  log.warn("cannot lower the thorough worker's priority: it competes with the screens");
else if (background && !priority?.idle)
  log.warn(
    "cannot run the thorough worker under SCHED_IDLE (no chrt?): nice 19 alone, the screens' latency is less steady",
  );
const port = parentPort!;

try {
  const rec = await createRecognizer(cfg, log, role);
  port.postMessage({ ready: true, modelVersion: rec.modelVersion });
  // One request at a time, in arrival order: the sessions are not re-entrant.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: WorkerRequest) => {
    queue = queue.then(() => handle(m));
  });
  async function handle(m: WorkerRequest): Promise<void> {
    try {
      if (m.kind === 'close') {
        await rec.close();
        port.postMessage({ id: m.id, result: null });
        port.close();
        return;
      }
      // Buffers arrive as Uint8Arrays after structured cloning.
      const img = {
        ...m.img!,
        data: Buffer.from(m.img!.data.buffer, m.img!.data.byteOffset, m.img!.data.byteLength),
      };
      const result =
        m.kind === 'frame'
          ? await rec.readFrame(img)
          : m.kind === 'crop'
            ? await rec.readCrop(img)
            : m.kind === 'screen'
              ? // a recognizer that does not escalate is always sure of its one read
                ((await rec.screenFrame?.(img)) ?? { plates: await rec.readFrame(img), sure: true })
              : await (rec.thoroughFrame ?? rec.readFrame).call(rec, img);
      port.postMessage({ id: m.id, result });
    } catch (err) {
      port.postMessage({
        id: m.id,
        error: { message: (err as Error).message, code: (err as { code?: string }).code },
      });
    }
  }
} catch (err) {
  port.postMessage({
    ready: false,
    error: { message: (err as Error).message, code: (err as { code?: string }).code },
  });
}
