/**
 * An IP camera for tests that wants a password: MJPEG over HTTP (multipart/x-mixed-replace, made by
 * ffmpeg's mpjpeg muxer from a test pattern) behind HTTP Basic authentication, as many IP cameras
 * serve it. ffmpeg's own `-listen 1` server cannot ask for a password, hence this small node server.
 * Each authorised client gets its own ffmpeg encoder, ended when the client goes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';

export interface AuthMjpegServer {
  port: number;
  /** Status codes answered, in order (401 before the client sent its password, then 200). */
  statuses: number[];
  /** Stops listening and ends every encoder. */
  close(): Promise<void>;
}

export async function startAuthMjpeg(o: {
  user: string;
  password: string;
  size?: string;
  fps?: number;
  port?: number;
}): Promise<AuthMjpegServer> {
  const expected = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
  const encoders = new Set<ChildProcess>();
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      statuses.push(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="camera"', 'Content-Length': '0' });
      res.end();
      return;
    }
    statuses.push(200);
    const ff = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi'],
        ...['-i', `testsrc=size=${o.size ?? '320x240'}:rate=${o.fps ?? 10}`, '-f', 'mpjpeg', 'pipe:1'],
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    encoders.add(ff);
    ff.once('exit', () => encoders.delete(ff));
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace;boundary=ffmpeg' });
    ff.stdout!.pipe(res);
    res.once('close', () => ff.kill('SIGKILL'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    statuses,
    close: async () => {
      for (const e of encoders) e.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
