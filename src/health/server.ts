/**
 * The local health endpoint: GET /health answers the lights as JSON. Bound to loopback by default
 * (policy K: the unit exposes nothing to the public). Everything else is 404 for now; the officer's
 * page will be served from here later.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostAllowed } from '../core/host-header.ts';

export class HealthServer {
  private server: Server | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly body: () => unknown,
  ) {}

  /** Listens; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const server = createServer((req, res) => {
      // DNS rebinding: a page elsewhere that resolves its own name to the unit reads nothing here
      if (!hostAllowed(req.headers.host, this.host)) {
        res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('unexpected Host\n');
        return;
      }
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/health') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return;
      }
      const text = `${JSON.stringify(this.body())}\n`;
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'cross-origin-resource-policy': 'same-origin',
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
