/**
 * The shipped fake receiver: an NMEA log replayed at its own pace (× speed), optionally looped.
 * Used by the demo and by the tests that need a receiver without hardware.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../core/log.ts';
import { parseTod } from './nmea-sentences.ts';
import type { GpsSink, GpsSource } from './source.ts';

export interface ReplayChunk {
  /** Wait before sending this chunk, at real pace. */
  delayMs: number;
  text: string;
}

const TIMED = /^[$!]([A-Z]{2})(RMC|GGA|GLL|ZDA),([^,*]*)/;
const TIMED_FIELD: Record<string, number> = { RMC: 0, GGA: 0, ZDA: 0, GLL: 4 };
/** A log's epochs are about a second apart; gaps outside (0, 10 s] are splices, replayed as 1 s. */
const DEFAULT_GAP_MS = 1000;
const MAX_GAP_MS = 10_000;

function timeOfLine(line: string): { key: string; tod: number | null } | null {
  const m = TIMED.exec(line);
  if (!m) return null;
  const type = m[2]!;
  const field = TIMED_FIELD[type] === 0 ? m[3] : line.split(',')[TIMED_FIELD[type]! + 1];
  return { key: m[1]! + type, tod: parseTod(field?.split('*')[0]) };
}

/**
 * Splits a log into one chunk per receiver epoch (pure). A new time of day, or a second
 * RMC/GGA/GLL/ZDA of one kind, starts an epoch; the delay before it is the time-of-day difference.
 */
export function replayChunks(text: string): ReplayChunk[] {
  const out: ReplayChunk[] = [];
  let lines: string[] = [];
  let keys = new Set<string>();
  let tod: number | null = null;
  let delayMs = 0;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#') || raw.trim() === '') continue;
    const t = timeOfLine(raw);
    const newEpoch =
      t !== null &&
      lines.length > 0 &&
      (keys.has(t.key) || (t.tod !== null && tod !== null && t.tod !== tod));
    if (newEpoch) {
      out.push({ delayMs, text: `${lines.join('\r\n')}\r\n` });
      const gap = t.tod !== null && tod !== null ? (t.tod - tod + 86_400_000) % 86_400_000 : 0;
      delayMs = gap > 0 && gap <= MAX_GAP_MS ? gap : DEFAULT_GAP_MS;
      lines = [];
      keys = new Set();
      tod = null;
    }
    if (t) {
      keys.add(t.key);
      if (t.tod !== null) tod = t.tod;
    }
    lines.push(raw);
  }
  if (lines.length > 0) out.push({ delayMs, text: `${lines.join('\r\n')}\r\n` });
  return out;
}

/** An RMC with status A, or a GGA with a fix quality above 0: the epoch has a position. */
const FIX_LINE = /^[$!][A-Z]{2}(?:RMC,[^,]*,A,|GGA,[^,]*,[^,]+,[NS],[^,]+,[EW],[1-9],)/m;

/**
 * The index of the first chunk whose epoch has a fix (pure); 0 when none has. A replay that starts
 * there skips the log's cold-start stretch, so the very first reads carry a position.
 */
export function firstFixChunk(chunks: readonly ReplayChunk[]): number {
  const i = chunks.findIndex((c) => FIX_LINE.test(c.text));
  return i < 0 ? 0 : i;
}

export interface ReplaySourceOptions {
  path: string;
  speed: number;
  loop: boolean;
  /** Start, and start each loop, at the first epoch with a fix (skip the cold start). */
  startAtFix?: boolean;
  log: Logger;
}

export class ReplaySource implements GpsSource {
  readonly description: string;
  private chunks: ReplayChunk[] = [];
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private first = 0;
  private sink: GpsSink | null = null;

  constructor(private readonly opts: ReplaySourceOptions) {
    this.description = `replay ${opts.path} ×${opts.speed}${opts.loop ? ' (loop)' : ''}${opts.startAtFix ? ' from the first fix' : ''}`;
  }

  async start(sink: GpsSink): Promise<void> {
    this.sink = sink;
    let text: string;
    try {
      text = await readFile(this.opts.path, 'latin1');
    } catch (err) {
      sink.link(false, `cannot read NMEA replay ${this.opts.path}: ${(err as Error).message}`);
      return;
    }
    this.chunks = replayChunks(text);
    if (this.chunks.length === 0) {
      sink.link(false, `NMEA replay ${this.opts.path} holds no sentences`);
      return;
    }
    sink.link(true, `replaying ${this.opts.path}`);
    this.first = this.opts.startAtFix ? firstFixChunk(this.chunks) : 0;
    this.next = this.first;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sink = null;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => this.send(), delayMs / this.opts.speed);
    this.timer.unref();
  }

  private send(): void {
    this.timer = null;
    const sink = this.sink;
    if (!sink) return;
    const chunk = this.chunks[this.next++]!;
    sink.bytes(Buffer.from(chunk.text, 'latin1'), Date.now());
    if (this.next >= this.chunks.length) {
      if (!this.opts.loop) {
        this.opts.log.info('NMEA replay finished');
        return;
      }
      this.next = this.first;
      this.schedule(DEFAULT_GAP_MS);
      return;
    }
    this.schedule(this.chunks[this.next]!.delayMs);
  }
}
