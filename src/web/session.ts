/** Operator sessions: random tokens in an HttpOnly, SameSite=Strict cookie, with an absolute expiry. */
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'alpr_session';

export interface Operator {
  badge: string;
  name: string;
}

export interface Session extends Operator {
  token: string;
  createdAt: number;
  expiresAt: number;
}

export class Sessions {
  private readonly byToken = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Signs an operator in. One operator per unit: earlier sessions end. */
  create(op: Operator): Session {
    this.byToken.clear();
    const t = this.now();
    const s: Session = {
      ...op,
      token: randomBytes(32).toString('base64url'),
      createdAt: t,
      expiresAt: t + this.ttlMs,
    };
    this.byToken.set(s.token, s);
    return s;
  }

  /** The live session for a token, or null (unknown, or expired: then it is dropped). */
  get(token: string | undefined): Session | null {
    if (!token) return null;
    const s = this.byToken.get(token);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.byToken.delete(token);
      return null;
    }
    return s;
  }

  end(token: string | undefined): void {
    if (token) this.byToken.delete(token);
  }

  /** The signed-in operator's badge (for tagging reads), or null. */
  current(): string | null {
    for (const s of this.byToken.values()) if (this.get(s.token)) return s.badge;
    return null;
  }
}

/** Cookie header → name/value map (first occurrence wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

export function sessionCookie(s: Session, now: number): string {
  const maxAge = Math.max(0, Math.floor((s.expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${s.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
