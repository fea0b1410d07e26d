/**
 * PINs: scrypt hashes (node:crypto) in a self-describing string, and a throttle on wrong PINs.
 * Format: `scrypt$N$r$p$<salt base64>$<hash base64>` so the roster can carry hashes made elsewhere.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const DEFAULTS = { N: 16384, r: 8, p: 1, keyLen: 32 };

/** A PIN is 4 to 12 digits. */
export function pinProblem(pin: string): string | null {
  return /^[0-9]{4,12}$/.test(pin) ? null : 'PIN: 4 to 12 digits';
}

function derive(pin: string, salt: Buffer, N: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(pin, salt, keyLen, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPin(pin: string, salt: Buffer = randomBytes(16)): Promise<string> {
  const { N, r, p, keyLen } = DEFAULTS;
  const key = await derive(pin, salt, N, r, p, keyLen);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Parses a stored hash; null when it is not one this unit understands. */
export function parsePinHash(
  s: string,
): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | null {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(s);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a hostile roster from making sign-in allocate gigabytes.
  if (N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { N, r, p, salt, key };
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const h = parsePinHash(stored);
  if (!h) return false;
  const key = await derive(pin, h.salt, h.N, h.r, h.p, h.key.length);
  return timingSafeEqual(key, h.key);
}

/** One key's wrong-PIN state. */
export interface ThrottleState {
  failures: number;
  lockedUntil: number;
  lockouts: number;
}

/** Where throttle state is kept (the page's database), so that a restart does not reset it. */
export interface ThrottleStore {
  load(): Iterable<[string, ThrottleState]>;
  save(key: string, state: ThrottleState | null): void;
}

/**
 * Wrong-PIN throttle per badge: after `maxFailures` wrong PINs the badge is locked for `lockoutMs`;
 * each further lockout doubles (up to 16×). A right PIN clears the count. Attached to a store, the
 * counts and lockouts survive a restart of the daemon: restarting the unit (or making it crash) is
 * no way around a lockout.
 */
export class PinThrottle {
  private readonly state = new Map<string, ThrottleState>();
  private store: ThrottleStore | null = null;

  constructor(
    private readonly maxFailures: number,
    private readonly lockoutMs: number,
  ) {}

  /** Keeps the state in `store` from now on, taking up what it holds. */
  attach(store: ThrottleStore | null): void {
    this.store = store;
    this.state.clear();
    for (const [k, s] of store?.load() ?? []) this.state.set(k, { ...s });
  }

  /** 0 when the badge may try now, else the ms to wait. */
  waitMs(badge: string, now: number): number {
    const s = this.state.get(badge);
    return s && s.lockedUntil > now ? s.lockedUntil - now : 0;
  }

  /** Records a wrong PIN; returns the tries left before a lockout (0 = locked now). */
  fail(badge: string, now: number): number {
    const s = this.state.get(badge) ?? { failures: 0, lockedUntil: 0, lockouts: 0 };
    s.failures++;
    let left = this.maxFailures - s.failures;
    if (s.failures >= this.maxFailures) {
      s.lockedUntil = now + this.lockoutMs * 2 ** Math.min(s.lockouts, 4);
      s.lockouts++;
      s.failures = 0;
      left = 0;
    }
    this.state.set(badge, s);
    this.store?.save(badge, s);
    return left;
  }

  success(badge: string): void {
    if (this.state.delete(badge)) this.store?.save(badge, null);
  }
}
