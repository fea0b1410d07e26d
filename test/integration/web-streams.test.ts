/**
 * The page's live streams over real HTTP cannot hold the daemon's memory: a session keeps at most
 * STREAMS_PER_SESSION open (its oldest closed), and a stream that stops reading is closed once its
 * buffer passes STREAM_BUFFER_BYTES, while a page that reads keeps its stream. Idle connections
 * that send nothing are closed.
 */
import { type ClientRequest, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_BYTE_MS, STREAMS_PER_SESSION } from '../../src/web/index.ts';
import { client, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

let u: WebUnit;
beforeAll(async () => {
  u = await startWebUnit();
});
afterAll(async () => {
  await u?.stop();
});

/** Opens a live stream; `closed` resolves when the server ends or drops it. */
function stream(cookie: string, read = true) {
  let bytes = 0;
  let req: ClientRequest;
  const closed = new Promise<void>((resolve) => {
    req = request(`${u.base}/api/events`, { headers: { cookie } }, (res) => {
      if (read)
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
      else res.pause();
      // a paused response emits nothing more: watch its connection
      res.socket.on('close', () => resolve());
      res.on('close', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve());
    req.end();
  });
  let done = false;
  void closed.then(() => {
    done = true;
  });
  return { closed, isClosed: () => done, bytes: () => bytes, destroy: () => req.destroy() };
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('live streams', () => {
  it(`a session holds at most ${STREAMS_PER_SESSION} streams: the oldest are closed`, async () => {
    const c = client(u.base);
    expect((await c.call('/api/signin', { badge: 'A100', pin: '1234' })).status).toBe(200);
    const streams: ReturnType<typeof stream>[] = [];
    for (let i = 0; i < STREAMS_PER_SESSION + 2; i++) {
      streams.push(stream(c.cookie));
      await until(() => streams.at(-1)!.bytes() > 0);
    }
    await until(() => streams.filter((s) => s.isClosed()).length === 2);
    expect(streams.map((s) => s.isClosed())).toEqual([true, true, ...Array(STREAMS_PER_SESSION).fill(false)]);
    for (const s of streams) s.destroy();
  });

  it('closes a stream that stops reading, and keeps the one that reads', async () => {
    const c = client(u.base);
    expect((await c.call('/api/signin', { badge: 'D400', pin: '5678' })).status).toBe(200);
    const reader = stream(c.cookie);
    // a page that stops reading (its stream is closed by the server, checked there)
    stream(c.cookie, false);
    await until(() => reader.bytes() > 0);
    const before = process.memoryUsage().heapUsed;
    // 64 KB events: far more than the kernel's socket buffers and the 256 KB allowance
    const big = { note: 'x'.repeat(65_536) };
    const dropped = () => u.cap.text().includes('a live stream stopped reading; closed');
    for (let i = 0; i < 2000 && !dropped(); i++) {
      u.web.broadcast('ping', big);
      // the reading page keeps up; the stalled one's buffers fill
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(dropped()).toBe(true);
    // the server holds only the reading page's stream now, and that page still gets events
    expect(u.web.streamCount).toBe(1);
    const got = reader.bytes();
    u.web.broadcast('ping', { at: 1 });
    await until(() => reader.bytes() > got);
    expect(reader.isClosed()).toBe(false);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
    reader.destroy();
  });

  it('closes a connection that never sends a request', { timeout: 60_000 }, async () => {
    const port = Number(new URL(u.base).port);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('close', () => resolve(Date.now() - started));
      s.on('error', () => {});
    });
    expect(closedAfter).toBeGreaterThanOrEqual(FIRST_BYTE_MS - 100);
    expect(closedAfter).toBeLessThan(FIRST_BYTE_MS + 10_000);
  });
});
