/** Waits until a TCP port accepts a connection (a server the test started is up); false after `ms`. */
import { connect } from 'node:net';

export async function waitPort(port: number, ms: number, host = '127.0.0.1', stepMs = 100): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}
