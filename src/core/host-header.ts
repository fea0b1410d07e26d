/**
 * The Host header a local HTTP endpoint accepts. A web page elsewhere that points its own name at
 * the unit's address (DNS rebinding) sends its own name as Host: only the loopback names and the
 * address the endpoint is bound to are answered.
 */

/** The loopback names a browser on the unit sends. */
export const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1']);

/** The Host header's name part, lower case, without the port ("[::1]:80" → "::1"). */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const i = h.lastIndexOf(':');
  return i >= 0 ? h.slice(0, i) : h;
}

/** Whether a request's Host header names this endpoint (a loopback name or its bind address). */
export function hostAllowed(header: string | undefined, bindHost: string): boolean {
  const host = hostName(header);
  return LOOPBACK_NAMES.has(host) || host === bindHost.toLowerCase();
}
