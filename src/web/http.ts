/** HTTP plumbing for the web stage: JSON bodies and answers, static files, security headers. */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Same origin only; no framing; nothing cached; no referrer leaves the page. */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  // no other site (another port of 127.0.0.1 is the same site to a browser) may embed a response
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** True when the request came over TLS (web.tls). */
export function overTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * Why a state-changing request may come from another page, or null. SameSite cookies do not tell
 * one local port from another (same site), so the origin itself is checked: a browser names it on
 * every POST (Origin, Sec-Fetch-Site). A client without them (curl) holds no officer's cookie.
 * JSON only: a form or a no-CORS fetch from another page cannot send it without a preflight.
 */
export function crossSiteProblem(
  headers: IncomingMessage['headers'],
  scheme: 'http' | 'https' = 'http',
): string | null {
  const host = (headers.host ?? '').trim().toLowerCase();
  const origin = headers.origin?.trim().toLowerCase();
  if (origin !== undefined && origin !== `${scheme}://${host}`) return 'another origin';
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return 'another site';
  if (!(headers['content-type'] ?? '').startsWith('application/json')) return 'not JSON';
  return null;
}

/**
 * A JSON field as text: a string as it is, a number or a boolean written out, absent as ''; any
 * other value (an object, an array) is a 400 naming the field, never a 500 from String().
 */
export function field(v: unknown, name: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new HttpError(400, `${name}: must be text`);
}

/**
 * Whether a request for the API comes from the page itself, by the browser's word: Sec-Fetch-Site
 * `same-origin` (the page's own fetches, pictures and live stream) or `none` (typed in), or absent
 * (no browser). Another local service's page (`same-site`: another port of the same host) could
 * otherwise send the officer's cookie with an image tag: it reads nothing (CORP), but its requests
 * would keep an unattended session from idling out.
 */
export function fromThePage(headers: IncomingMessage['headers']): boolean {
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Reads a JSON body (≤ maxBytes); 415 without a JSON content type (no cross-site form posts). */
export async function readJson(req: IncomingMessage, maxBytes = 16_384): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    throw new HttpError(415, 'send JSON (content-type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) throw new HttpError(413, 'request too large');
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body is not a JSON object');
  }
}

/** Serves a file of public/ (index.html for /); false when there is no such file. */
export async function serveStatic(res: ServerResponse, path: string, head: boolean): Promise<boolean> {
  let rel: string;
  try {
    rel = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1));
  } catch {
    return false;
  }
  const file = normalize(join(PUBLIC_DIR, rel));
  if (!file.startsWith(PUBLIC_DIR) || rel.includes('\0') || !TYPES[extname(file)]) return false;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': TYPES[extname(file)]! });
  res.end(head ? undefined : body);
  return true;
}
