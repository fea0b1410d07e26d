/**
 * Operator sessions: random tokens in an HttpOnly, SameSite=Strict cookie, with an absolute expiry
 * (a shift) and an idle timeout (no page contact: no request and no open live stream). They are
 * kept in the page's database as the SHA-256 of the token only, so a daemon restart (watchdog,
 * crash) does not sign the officer out mid-shift, and a copy of the file gives no usable token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SessionRow } from './db.ts';

export const SESSION_COOKIE = 'alpr_session';

export interface Operator {
  badge: string;
  name: string;
}

export interface Session extends Operator {
  /** SHA-256 of the token (hex): the session's id, what is stored. */
  id: string;
  createdAt: number;
  expiresAt: number;
  lastSeen: number;
}

/** Where sessions are kept (the page's database); absent in pure tests. */
export interface SessionStore {
  putSession(s: SessionRow, only: boolean): void;
  sessions(): SessionRow[];
  touchSession(tokenHash: string, lastSeen: number): void;
  deleteSession(tokenHash: string): void;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** lastSeen is written back at most this often (a page polls and streams all day). */
const TOUCH_WRITE_MS = 60_000;

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly written = new Map<string, number>();
  private store: SessionStore | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly idleMs: number = Number.POSITIVE_INFINITY,
    /**
     * Whether the roster still lets this badge operate the unit (on it, trained, not expired),
     * asked whenever a session is used: an officer taken off the roster, or whose account expires
     * mid-shift, is signed out at once, not at the end of the shift. Absent: always.
     */
    private readonly mayOperate: (badge: string) => boolean = () => true,
    /** A session ended because the roster no longer lets its officer operate the unit. */
    private readonly onBarred: (s: Session) => void = () => {},
  ) {}

  /** Keeps sessions in `store` from now on, and takes up the live ones it holds (after a restart). */
  attach(store: SessionStore | null): void {
    this.store = store;
    this.byId.clear();
    this.written.clear();
    for (const r of store?.sessions() ?? []) {
      const s: Session = {
        id: r.tokenHash,
        badge: r.badge,
        name: r.name,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        lastSeen: r.lastSeen,
      };
      this.byId.set(s.id, s);
      this.written.set(s.id, s.lastSeen);
      this.live(s.id);
    }
  }

  /** Signs an operator in. One operator per unit: earlier sessions end. Returns the token once. */
  create(op: Operator): { session: Session; token: string } {
    this.byId.clear();
    this.written.clear();
    const t = this.now();
    const token = randomBytes(32).toString('base64url');
    const s: Session = { ...op, id: tokenHash(token), createdAt: t, expiresAt: t + this.ttlMs, lastSeen: t };
    this.store?.putSession(
      { tokenHash: s.id, ...op, createdAt: t, expiresAt: s.expiresAt, lastSeen: t },
      true,
    );
    this.byId.set(s.id, s);
    this.written.set(s.id, t);
    return { session: s, token };
  }

  /** The live session for a cookie's token, marked as seen now; null when unknown or dead. */
  get(token: string | undefined): Session | null {
    if (!token) return null;
    const s = this.live(tokenHash(token));
    if (s) this.touch(s);
    return s;
  }

  /** The session by id if it is still live (not expired, not idle too long); a dead one is dropped. */
  live(id: string): Session | null {
    const s = this.byId.get(id);
    if (!s) return null;
    const t = this.now();
    if (s.expiresAt <= t || s.lastSeen + this.idleMs <= t) {
      this.end(id);
      return null;
    }
    if (!this.mayOperate(s.badge)) {
      this.end(id);
      this.onBarred(s);
      return null;
    }
    return s;
  }

  /** Page contact: a request, or a live stream still open (the page is on screen). */
  touch(s: Session): void {
    const t = this.now();
    s.lastSeen = t;
    if (t - (this.written.get(s.id) ?? 0) >= TOUCH_WRITE_MS) {
      this.written.set(s.id, t);
      this.store?.touchSession(s.id, t);
    }
  }

  end(id: string | undefined): void {
    if (!id) return;
    this.byId.delete(id);
    this.written.delete(id);
    this.store?.deleteSession(id);
  }

  /** The signed-in operator's badge (for tagging reads), or null; ends any session no longer allowed. */
  current(): string | null {
    for (const id of [...this.byId.keys()]) {
      const s = this.live(id);
      if (s) return s.badge;
    }
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

/** The sign-in cookie; `Secure` over HTTPS (web.tls), so a browser never sends it in clear. */
export function sessionCookie(s: Session, token: string, now: number, secure = false): string {
  const maxAge = Math.max(0, Math.floor((s.expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure = false): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}
