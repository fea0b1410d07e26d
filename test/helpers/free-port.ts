/**
 * Ports for the brokers, databases and TPMs the tests start. A port from `listen(0)` comes from
 * the kernel's ephemeral range, which outgoing connections draw from too: between closing the
 * probe and the server binding it, another socket may take it ("address already in use"). These
 * come from below that range (20000–31999), a block of 1,500 per vitest worker so parallel test
 * files never pick the same one, never the same twice in a process, and are checked bindable.
 */
import { createServer } from 'node:net';

const BASE = 20_000;
const BLOCK = 1_500;
const given = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1; with `span` 2, that port and the next one (swtpm's control channel). */
export async function freePort(span = 1): Promise<number> {
  const worker = Number(process.env.VITEST_POOL_ID ?? process.pid) % 8;
  const lo = BASE + worker * BLOCK;
  for (let tries = 0; tries < 500; tries++) {
    const port = lo + Math.floor(Math.random() * (BLOCK - span));
    const ports = Array.from({ length: span }, (_, k) => port + k);
    if (ports.some((p) => given.has(p))) continue;
    let ok = true;
    for (const p of ports) ok = ok && (await bindable(p));
    if (!ok) continue;
    for (const p of ports) given.add(p);
    return port;
  }
  throw new Error(`no free port in ${lo}..${lo + BLOCK - 1}`);
}
