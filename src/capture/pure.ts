/** Pure parts of capture: ffmpeg arguments, backoff, frame assembly, fps counting, health. */
import type { Box, Light } from '../domain/types.ts';

/** Restart delay after `attempt` failures in a row (0-based): base·2^attempt, capped. */
export function backoffMs(attempt: number, baseMs = 1000, maxMs = 30_000): number {
  const n = Math.max(0, Math.floor(attempt));
  return Math.min(maxMs, baseMs * 2 ** Math.min(n, 30));
}

/** Hides user:password in URLs (`rtsp://user:pw@host/` → `rtsp://***@host/`) for logs and health. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}

/** The URL with `user:password` (one line, as read from a secret file) put in; special characters encoded. */
export function withCredentials(url: string, userPassword: string): string {
  const line = userPassword.trim();
  const i = line.indexOf(':');
  const u = new URL(url);
  u.username = i < 0 ? line : line.slice(0, i);
  u.password = i < 0 ? '' : line.slice(i + 1);
  return u.href;
}

export type StreamType = 'rtsp' | 'mjpeg' | 'v4l2' | 'video';

export interface FfmpegArgsInput {
  type: StreamType;
  /** URL, device path or video file path. */
  url: string;
  width: number;
  height: number;
  fps: number;
  /** Video files only: start again at the end. */
  loop?: boolean;
  /** v4l2 only: the pixel format to ask of the camera. */
  inputFormat?: string | undefined;
}

/** The input options ffmpeg's demuxer needs for each stream type, before `-i`. */
function inputOptions(i: FfmpegArgsInput): string[] {
  switch (i.type) {
    case 'rtsp':
      return ['-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-flags', 'low_delay'];
    case 'mjpeg':
      // Multipart MJPEG carries no timestamps (ffmpeg would assume 25 fps): stamp on arrival.
      return ['-fflags', 'nobuffer', '-flags', 'low_delay', '-use_wallclock_as_timestamps', '1'];
    case 'v4l2': {
      // Ask the camera for the wanted size and rate; it answers with the nearest mode it has.
      const o = ['-f', 'v4l2', '-video_size', `${i.width}x${i.height}`, '-framerate', String(i.fps)];
      return i.inputFormat ? [...o, '-input_format', i.inputFormat] : o;
    }
    case 'video':
      // A video file replays at its own rate (-re), like a camera would deliver it.
      return ['-re', ...(i.loop ? ['-stream_loop', '-1'] : [])];
  }
}

/**
 * The output half: frames decimated to at most `fps` by a select filter that only drops frames,
 * never duplicates them (ffmpeg's `-r`/fps filter fills a stall with copies of the last frame). It
 * keeps a schedule in st(0)/ld(0): a frame is taken when it is no more than a third of an interval
 * early, and the next slot is one interval later (or now, after a stall). A plain minimum gap
 * between frames would drop half the frames of a camera already at `fps` whose arrival times jitter.
 */
function outputArgs(i: FfmpegArgsInput): string[] {
  const d = (1 / i.fps).toFixed(4);
  const early = (1 / i.fps / 3).toFixed(4);
  const select = `if(gte(t\\,ld(0)-${early})\\,st(0\\,max(ld(0)+${d}\\,t))*0+1\\,0)`;
  const vf = `select='${select}',scale=${i.width}:${i.height}`;
  return ['-an', '-sn', '-vf', vf, '-vsync', '0', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
}

const HEAD = ['-hide_banner', '-loglevel', 'error', '-nostdin'];

/** ffmpeg arguments that decode one camera into raw rgb24 frames of width×height on stdout. */
export function ffmpegArgs(i: FfmpegArgsInput): string[] {
  return [...HEAD, ...inputOptions(i), '-i', i.url, ...outputArgs(i)];
}

/** Protocols a camera opened through a concat script may use (ffmpeg whitelists `pipe` readers to crypto,data). */
const STREAM_PROTOCOLS = 'pipe,crypto,data,tcp,tls,http,https,httpproxy,rtsp,rtsps,rtp,srtp,udp';

/** A value for an ffconcat script: single-quoted, a quote written as '\'' (ffmpeg's av_get_token rules). */
function concatQuote(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/**
 * The ffmpeg command for a camera, with the URL's `user:password` kept off the command line
 * (/proc/PID/cmdline is world-readable). A URL with credentials goes in an ffconcat script that
 * ffmpeg reads from its stdin (`-f concat -i pipe:0`): the script names the URL and the demuxer
 * options the stream needs; the decoder options stay on the command line. Nothing touches disk.
 * A URL without credentials is passed as is and `stdin` is null.
 */
export function ffmpegCommand(i: FfmpegArgsInput): { args: string[]; stdin: string | null } {
  if (!hasCredentials(i.url)) return { args: ffmpegArgs(i), stdin: null };
  const inner = inputOptions(i);
  const lines = ['ffconcat version 1.0', `file ${concatQuote(i.url)}`];
  const outer: string[] = [];
  for (let k = 0; k < inner.length; k += 2) {
    const [opt, val] = [inner[k]!, inner[k + 1]!];
    // -flags is a decoder option: the decoder is ffmpeg's own, outside the concat demuxer.
    if (opt === '-flags') outer.push(opt, val);
    else lines.push(`option ${opt.slice(1)} ${concatQuote(val)}`);
  }
  const args = [
    ...HEAD,
    ...outer,
    ...['-fflags', 'nobuffer', '-protocol_whitelist', STREAM_PROTOCOLS],
    ...['-f', 'concat', '-safe', '0', '-i', 'pipe:0'],
    ...outputArgs(i),
  ];
  return { args, stdin: `${lines.join('\n')}\n` };
}

/** True when a URL carries a user name or password. */
export function hasCredentials(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*@/i.test(url);
}

/** Frames per second over a sliding window of recent timestamps. */
export class FpsMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 5000) {}

  tick(now: number): void {
    this.times.push(now);
    this.trim(now);
  }

  fps(now: number): number {
    this.trim(now);
    const n = this.times.length;
    const first = this.times[0];
    const last = this.times[n - 1];
    if (first === undefined || last === undefined || n < 2 || last === first) return 0;
    // Intervals between ticks measure a steady rate exactly; once the stream is late by more than
    // two intervals, count the silence too, so a stalled camera decays to 0.
    const interval = (last - first) / (n - 1);
    const span = now - last > 2 * interval ? now - first : last - first;
    return ((n - 1) * 1000) / span;
  }

  private trim(now: number): void {
    while (this.times.length > 0 && now - this.times[0]! > this.windowMs) this.times.shift();
  }
}

export interface HealthChange {
  light: Light;
  reason: string;
}

/** How often each camera's no-frame clock is checked: the red light comes at most this late. */
export const HEALTH_TICK_MS = 500;

/**
 * Damaged frames (the decoder reported errors on them) over this window turn a camera amber when
 * they are at least DAMAGED_MIN and DAMAGED_SHARE of its frames; a window without any turns it back.
 */
export const DAMAGED_WINDOW_MS = 10_000;
export const DAMAGED_MIN = 3;
export const DAMAGED_SHARE = 0.1;

/**
 * One camera's light: amber while starting, green while frames arrive, red after `timeoutMs`
 * without a frame or on a failure, amber when a finite replay has ended. Returns a change only
 * when the light or reason changes, so the bus is not flooded.
 */
export class CameraHealth {
  private light: Light = 'amber';
  private reason: string;
  private lastFrameAt: number;
  private ended = false;
  private failure: string | null = null;
  private lastError: string | null = null;
  /**
   * Recent frames (last window): when each came and how many source frames it stands for (itself
   * and those dropped before it while the main thread was busy), and how many were damaged.
   */
  private readonly recentFrames: Tally[] = [];
  private readonly recentDamaged: Tally[] = [];
  private damagedLine = '';
  /** The last frame's picture signature, and since when frames have shown it. */
  private picture: number | null = null;
  private pictureSince = 0;

  constructor(
    private readonly cameraId: string,
    private readonly timeoutMs: number,
    startedAt: number,
  ) {
    this.lastFrameAt = startedAt;
    // Every reason names its camera: the cameras light lists the reasons of all of them.
    this.reason = `camera ${cameraId}: starting`;
  }

  get current(): HealthChange {
    return { light: this.light, reason: this.reason };
  }

  /**
   * A frame arrived; `stands` is how many source frames it stands for (1 + those dropped before it);
   * `picture`, a signature of its pixels (pictureSignature), for a live camera: the same picture
   * for FROZEN_MS is a camera or encoder that repeats one frame (frames flow, but show nothing new).
   */
  frame(now: number, stands = 1, picture?: number): HealthChange | null {
    this.lastFrameAt = now;
    this.failure = null;
    this.lastError = null;
    this.ended = false;
    if (picture !== undefined) {
      if (picture !== this.picture) {
        this.picture = picture;
        this.pictureSince = now;
      } else if (now - this.pictureSince > FROZEN_MS) {
        // said again as it passes each step, as a stall is
        return this.set(
          'amber',
          `camera ${this.cameraId}: the picture has not changed for ${stallWords(now - this.pictureSince, FROZEN_MS)} (a frozen camera or encoder?)`,
        );
      }
    }
    this.recentFrames.push({ at: now, n: stands });
    trimBefore(this.recentFrames, now - DAMAGED_WINDOW_MS);
    trimBefore(this.recentDamaged, now - DAMAGED_WINDOW_MS);
    const damaged = total(this.recentDamaged);
    const frames = total(this.recentFrames);
    if (damaged > 0 && this.light === 'amber' && this.reason.includes(DAMAGED_WORDS)) return null;
    if (damaged >= DAMAGED_MIN && damaged >= DAMAGED_SHARE * frames) {
      // once per amber spell, with the decoder's words when it began (a technician's first clue)
      return this.set(
        'amber',
        `camera ${this.cameraId}: ${DAMAGED_WORDS}: ${damaged} of the last ${frames} frames (${this.damagedLine})`,
      );
    }
    return this.set('green', `camera ${this.cameraId}: frames arriving`);
  }

  /**
   * The decoder reported errors on `frames` of the source frames the next frame stands for
   * (`line`: its last error line).
   */
  damaged(now: number, line: string, frames = 1): void {
    this.recentDamaged.push({ at: now, n: frames });
    this.damagedLine = line;
  }

  fail(reason: string): HealthChange | null {
    this.failure = reason;
    return this.set('red', `camera ${this.cameraId}: ${reason}`);
  }

  /**
   * A camera that had failed to start runs now: the failure is over, and the no-frame clock starts
   * again from `now`. The light stays as it is (red) until frames arrive.
   */
  started(now: number): void {
    this.failure = null;
    this.lastFrameAt = now;
  }

  /**
   * A transient error the source recovers from by itself; named in the red reason if frames stop.
   * When the light is already red for want of frames, the reason changes at once to name it (a
   * stalled camera whose ffmpeg is killed says so, whichever of the two clocks noticed first).
   */
  note(reason: string, now: number): HealthChange | null {
    // a new kind of cause, not the next file or second of the same one (a folder whose every
    // frame fails names each file): at most one report per kind within a red spell
    const changed = this.lastError === null || causeKind(reason) !== causeKind(this.lastError);
    this.lastError = reason;
    if (!changed || this.light !== 'red' || this.ended || this.failure !== null) return null;
    const idle = now - this.lastFrameAt;
    if (idle <= this.timeoutMs) return null;
    return this.set('red', this.noFrameReason(idle), true);
  }

  end(): HealthChange | null {
    this.ended = true;
    return this.set('amber', `camera ${this.cameraId}: replay finished`);
  }

  tick(now: number): HealthChange | null {
    if (this.ended || this.failure !== null) return null;
    const idle = now - this.lastFrameAt;
    if (idle <= this.timeoutMs) return null;
    // said again as the stall passes each step (1 min, 5 min, …): true until the next, never a flood
    const longer =
      this.light === 'red' && !this.reason.includes(`no frame for ${stallWords(idle, this.timeoutMs)}`);
    return this.set('red', this.noFrameReason(idle), longer);
  }

  private noFrameReason(idle: number): string {
    const last = this.lastError ? ` (last error: ${this.lastError})` : '';
    return `camera ${this.cameraId}: no frame for ${stallWords(idle, this.timeoutMs)}${last}`;
  }

  /** `newCause`: a red reason that names a new cause is reported even within a red spell. */
  private set(light: Light, reason: string, newCause = false): HealthChange | null {
    // Red is reported once per red spell and cause, and as a stall passes each step of stallWords.
    if (light === this.light && (reason === this.reason || (light === 'red' && !newCause))) return null;
    this.light = light;
    this.reason = reason;
    return { light, reason };
  }
}

/** Steps a stall's length is told in (ms, words). */
const STALL_STEPS: readonly [number, string][] = [
  [86_400_000, '1 day'],
  [4 * 3_600_000, '4 h'],
  [3_600_000, '1 h'],
  [15 * 60_000, '15 min'],
  [5 * 60_000, '5 min'],
  [60_000, '1 min'],
];

/**
 * A stall's length in words that stay true until the next step: `over 5 s` (the timeout), then
 * `over 1 min`, `over 5 min`, `over 15 min`, `over 1 h`, `over 4 h`, `over 1 day`. A reason said
 * once per step never understates an outage (a camera dead for 20 minutes read "no frame for 2 s").
 */
export function stallWords(idleMs: number, timeoutMs: number): string {
  for (const [ms, words] of STALL_STEPS) if (idleMs > ms && ms > timeoutMs) return `over ${words}`;
  return `over ${Math.max(1, Math.floor(timeoutMs / 1000))} s`;
}

/** Image files of a replay folder, in replay (name) order. */
export function replayOrder(names: readonly string[]): string[] {
  return names.filter((n) => /\.(jpe?g|png)$/i.test(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The rectangles to black out: the masks, and everything outside the ROI; clipped, empty ones dropped. */
export function blackoutRects(
  width: number,
  height: number,
  roi: Box | undefined,
  masks: readonly Box[],
): Box[] {
  const out: Box[] = [];
  const add = (x0: number, y0: number, x1: number, y1: number) => {
    const a = Math.max(0, Math.min(width, x0));
    const b = Math.max(0, Math.min(height, y0));
    const c = Math.max(0, Math.min(width, x1));
    const d = Math.max(0, Math.min(height, y1));
    if (c > a && d > b) out.push({ x: a, y: b, w: c - a, h: d - b });
  };
  if (roi) {
    add(0, 0, width, roi.y); // above
    add(0, roi.y + roi.h, width, height); // below
    add(0, roi.y, roi.x, roi.y + roi.h); // left
    add(roi.x + roi.w, roi.y, width, roi.y + roi.h); // right
  }
  for (const m of masks) add(m.x, m.y, m.x + m.w, m.y + m.h);
  return out;
}

/** Fills rectangles of an interleaved RGB image with black, in place. */
export function fillBlack(data: Buffer, width: number, rects: readonly Box[]): void {
  for (const r of rects) {
    for (let y = r.y; y < r.y + r.h; y++) {
      const start = (y * width + r.x) * 3;
      data.fill(0, start, start + r.w * 3);
    }
  }
}

const DAMAGED_WORDS = 'frames arrive damaged';

/**
 * How long a live camera may show the very same picture before its light says so. A live sensor's
 * noise changes some pixels in every frame, and a stream's key frames (every second or two) do
 * too, even on a still scene at night.
 */
export const FROZEN_MS = 15_000;

/**
 * A signature of a frame's pixels: FNV-1a over every 97th byte (about 28,000 of a 1280×720 frame,
 * ~0.05 ms). Two frames with the same signature almost surely show the same picture.
 */
export function pictureSignature(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i += 97) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Tally {
  at: number;
  n: number;
}

const total = (tallies: readonly Tally[]) => tallies.reduce((sum, x) => sum + x.n, 0);

/** Drops the leading tallies before `t` (the array is in time order). */
function trimBefore(tallies: Tally[], t: number): void {
  let k = 0;
  while (k < tallies.length && tallies[k]!.at < t) k++;
  if (k > 0) tallies.splice(0, k);
}

/** A cause's words without its paths and numbers: "cannot decode <path>: …" for every file. */
function causeKind(reason: string): string {
  return reason.replace(/[^\s:]*\/[^\s:]*/g, '<path>').replace(/\d+/g, '#');
}
