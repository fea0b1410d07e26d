/**
 * The thread that reads one camera's ffmpeg pipe. Recognition, SQLite and JSON work block the main
 * event loop for hundreds of milliseconds at a time (measured: p50 341 ms with the recognizer on
 * the main thread); a pipe read there would stall ffmpeg behind a full 64 KiB pipe buffer and every
 * frame would come late, stamped late. Here the pipe is always drained, each frame is stamped when
 * its last byte arrives, and only the newest frame waits while the main thread is busy (older ones
 * are dropped and counted): never a queue, never stale frames.
 *
 * The worker is plain JavaScript in a string (`eval: true`) so it runs the same under tsx, vitest
 * and the compiled build, without a loader.
 */
import { Worker } from 'node:worker_threads';

const WORKER_JS = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const frameBytes = workerData.frameBytes;
let child = null;
let buf = null;
let off = 0;
let pending = null;
let ready = true;
let dropped = 0;
let stderr = '';
// ffmpeg's error lines (-loglevel error) since the last frame sent: a damaged frame's decoder errors
let errLines = 0;
let errLine = '';
// An exit that comes while a frame waits is told after that frame, so no frame follows its exit.
let exitMsg = null;

function send(f) {
  parentPort.postMessage(
    {
      type: 'frame',
      data: f.data.buffer,
      at: f.at,
      dropped,
      damaged: f.damaged,
      errLine: f.errLine,
    },
    [f.data.buffer],
  );
  dropped = 0;
}
function deliver(f) {
  if (ready) {
    ready = false;
    send(f);
  } else {
    if (pending) {
      // the dropped frame's decoder errors are told with the one that replaces it
      dropped++;
      f.errLine = f.errLine || pending.errLine;
      f.damaged += pending.damaged;
    }
    pending = f;
  }
}
function onData(chunk) {
  let pos = 0;
  while (pos < chunk.length) {
    const n = Math.min(frameBytes - off, chunk.length - pos);
    buf.set(chunk.subarray(pos, pos + n), off);
    off += n;
    pos += n;
    if (off === frameBytes) {
      const done = buf;
      buf = new Uint8Array(new ArrayBuffer(frameBytes));
      off = 0;
      deliver({ data: done, at: Date.now(), errLine, damaged: errLines > 0 ? 1 : 0 });
      errLines = 0;
      errLine = '';
    }
  }
}
function start(cmd, args, input) {
  buf = new Uint8Array(new ArrayBuffer(frameBytes));
  off = 0;
  pending = null;
  exitMsg = null;
  stderr = '';
  errLines = 0;
  errLine = '';
  const c = spawn(cmd, args, { stdio: [input == null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  child = c;
  if (input != null) {
    // A producer that exits before reading its input must not crash this thread with EPIPE.
    c.stdin.on('error', () => {});
    c.stdin.end(input);
  }
  c.once('spawn', () => parentPort.postMessage({ type: 'spawned' }));
  c.once('error', (e) => parentPort.postMessage({ type: 'error', code: e.code || null, message: e.message }));
  c.once('exit', (code, signal) => {
    if (child === c) child = null;
    const msg = { type: 'exit', code, signal, stderr };
    if (pending) exitMsg = msg;
    else parentPort.postMessage(msg);
  });
  c.stderr.setEncoding('utf8');
  c.stderr.on('data', (s) => {
    const lines = s.split('\n').map((l) => l.trim()).filter((l) => l);
    const line = lines.pop();
    if (line) stderr = line.slice(0, 300);
    errLines += lines.length + (line ? 1 : 0);
    if (line) errLine = stderr;
  });
  c.stdout.on('data', onData);
}
parentPort.on('message', (m) => {
  if (m.type === 'ack') {
    if (pending) {
      const p = pending;
      pending = null;
      send(p);
      if (exitMsg) parentPort.postMessage(exitMsg);
      exitMsg = null;
    } else {
      ready = true;
    }
  } else if (m.type === 'spawn') {
    start(m.cmd, m.args, m.stdin);
  } else if (m.type === 'kill') {
    if (child) child.kill(m.signal);
  }
});
`;

export type PipeMessage =
  | {
      type: 'frame';
      data: ArrayBuffer;
      at: number;
      dropped: number;
      /** Of this frame and those dropped before it, how many came with ffmpeg error lines… */
      damaged: number;
      /** …and the last of those lines. */
      errLine: string;
    }
  | { type: 'spawned' }
  | { type: 'error'; code: string | null; message: string }
  | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

/**
 * A pipe reader for frames of `frameBytes`. Send `{type:'spawn', cmd, args, stdin}` to run a producer,
 * `{type:'kill', signal}` to end it, and `{type:'ack'}` after each frame message to get the next.
 */
export class PipeReader {
  private readonly worker: Worker;
  constructor(frameBytes: number, onMessage: (m: PipeMessage) => void) {
    this.worker = new Worker(WORKER_JS, { eval: true, workerData: { frameBytes } });
    this.worker.on('message', onMessage);
  }

  /** Runs `cmd`; `stdin`, when given, is written to its standard input (then closed). */
  spawn(cmd: string, args: readonly string[], stdin: string | null = null): void {
    this.worker.postMessage({ type: 'spawn', cmd, args, stdin });
  }

  kill(signal: NodeJS.Signals): void {
    this.worker.postMessage({ type: 'kill', signal });
  }

  ack(): void {
    this.worker.postMessage({ type: 'ack' });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
