/**
 * Cameras for the capture tests and the cameras bench, served on loopback: ffmpeg's own MJPEG-over-HTTP
 * server (`-listen 1`) and GStreamer's RTSP server (rtsp-server.py, H.264), plus a look at this
 * process's child processes in /proc (which decoders run, with what command line, how much CPU).
 * The MJPEG camera behind a password is in mjpeg-auth-server.ts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export { freePort } from '../helpers/free-port.ts';

const PY = '/usr/bin/python3';
const RTSP_SERVER = resolve(import.meta.dirname, 'rtsp-server.py');

/** ffmpeg input arguments for its test pattern (colourful, moving). */
export function testPattern(size: string, fps: number): string[] {
  return ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}`];
}

/**
 * An MJPEG-over-HTTP camera at `http://127.0.0.1:<port>/`, as ffmpeg serves it: one client, and it
 * ends with that client. `input` is ffmpeg's input arguments (default: a 640×360 test pattern at 10 fps).
 */
export function serveMjpeg(port: number, input: string[] = testPattern('640x360', 10)): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-re', ...input],
      ...['-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/`],
    ],
    { stdio: 'ignore' },
  );
}

/** The raw config of a camera reading `serveMjpeg(port)` at 320×180 and 5 fps, red after 1 s without a frame. */
export function mjpegCamera(id: string, port: number, extra: object = {}): Record<string, unknown> {
  const url = `http://127.0.0.1:${port}/`;
  return { id, type: 'mjpeg', url, width: 320, height: 180, fps: 5, noFrameTimeoutS: 1, ...extra };
}

/** Why the RTSP server cannot run here (the Debian packages it needs), or null when it can. */
export function rtspServerMissing(): string | null {
  const probe = spawnSync(PY, [
    '-c',
    [
      'import gi, sys',
      "gi.require_version('Gst', '1.0')",
      "gi.require_version('GstRtspServer', '1.0')",
      'from gi.repository import Gst, GstRtspServer',
      'Gst.init(None)',
      "sys.exit(0 if Gst.ElementFactory.find('x264enc') and Gst.ElementFactory.find('rtph264pay') else 1)",
    ].join('\n'),
  ]);
  return probe.status === 0
    ? null
    : 'needs Debian packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly';
}

/**
 * An H.264 RTSP camera at `rtsp://127.0.0.1:<port>/cam` (a test pattern), resolved once it listens.
 * `auth` ("user:password") makes it ask for that password. The process goes into `children` as soon as
 * it is spawned, so that the caller's clean-up ends it even when it never gets ready.
 */
export async function startRtspServer(
  port: number,
  o: { size: string; fps: number; auth?: string; children: ChildProcess[] },
): Promise<ChildProcess> {
  const c = spawn(PY, [RTSP_SERVER, String(port), o.size, String(o.fps)], {
    env: o.auth === undefined ? process.env : { ...process.env, RTSP_AUTH: o.auth },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  o.children.push(c);
  await new Promise<void>((res, rej) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
    c.once('exit', (code) => rej(new Error(`rtsp server exited ${code}`)));
  });
  return c;
}

export interface ChildInfo {
  pid: string;
  /** The command name, as /proc/<pid>/stat has it ("ffmpeg"). */
  comm: string;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
  /** CPU seconds used so far (user + system). */
  cpuS: number;
}

/** Linux clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat times. */
const TICKS = 100;

/** This process's child processes, from /proc. */
export function childProcesses(): ChildInfo[] {
  const out: ChildInfo[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // fields after "(comm)": state ppid … utime(14) stime(15), 1-based over the whole line
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) !== process.pid) continue;
      out.push({
        pid,
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '),
        cpuS: (Number(rest[11]) + Number(rest[12])) / TICKS,
      });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** This process's ffmpeg children that decode a camera (raw frames on a pipe). */
export function cameraDecoders(): ChildInfo[] {
  return childProcesses().filter((c) => c.comm === 'ffmpeg' && c.cmdline.includes('rawvideo'));
}
