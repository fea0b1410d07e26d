/**
 * PINs: scrypt hashes (node:crypto) in a self-describing string, and a throttle on wrong PINs.
 * Format: `scrypt$N$r$p$<salt base64>$<hash base64>` so the roster can carry hashes made elsewhere.
 *
 * A scrypt hash of a 4-12 digit PIN falls to an offline search (10^4 tries for 4 digits), so
 * neither a unit's roster copy nor its database holds one: they hold a keyed verifier
 * `hscrypt$N$r$p$<salt>$<tag>`, tag = HMAC-SHA256(rosterKey, VERIFIER_TAG || scrypt output), where
 * the roster key is known to the admin tool and the unit only (sealed to the unit's certificate on
 * the wire, sealed with the store key on the card). Without that key a search has nothing to
 * compare its guesses with. A scrypt hash turns into a verifier without the PIN (`keyPinHash`),
 * which lets admins keep their roster files and the unit migrate its old rows.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

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

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Parses a stored hash; null when it is not one this unit understands. */
export function parsePinHash(s: string): ParsedHash | null {
  return parseScryptLike(s, 'scrypt');
}

/** Domain separation of the verifier's HMAC. */
const VERIFIER_TAG = Buffer.from('alpr-pin-verifier-v2\0');
export const ROSTER_KEY_BYTES = 32;

/** A fresh roster key (the admin tool makes one per unit copy; a local import makes its own). */
export function newRosterKey(): Buffer {
  return randomBytes(ROSTER_KEY_BYTES);
}

/** Parses a keyed verifier (`hscrypt$…`); null when it is not one. `key` is the HMAC tag. */
export function parsePinVerifier(s: string): (ParsedHash & { keyLen: number }) | null {
  const v = parseScryptLike(s, 'hscrypt');
  return v && v.key.length === 32 ? v : null;
}

function tagOf(rosterKey: Buffer, derived: Buffer): Buffer {
  return createHmac('sha256', rosterKey).update(VERIFIER_TAG).update(derived).digest();
}

/** The keyed verifier of a scrypt hash under `rosterKey`; null when `hash` is not a scrypt hash. */
export function keyPinHash(hash: string, rosterKey: Buffer): string | null {
  const h = parsePinHash(hash);
  if (!h) return null;
  const tag = tagOf(rosterKey, h.key).toString('base64');
  return `hscrypt$${h.N}$${h.r}$${h.p}$${h.salt.toString('base64')}$${h.key.length}:${tag}`;
}

/**
 * Checks a PIN against a keyed verifier. Without the key (none applied yet) the scrypt still runs,
 * so the answer takes as long as a real check, and is false.
 */
export async function verifyKeyedPin(
  pin: string,
  verifier: string,
  rosterKey: Buffer | undefined,
): Promise<boolean> {
  const v = parsePinVerifier(verifier);
  if (!v) return false;
  const derived = await derive(pin, v.salt, v.N, v.r, v.p, v.keyLen);
  if (!rosterKey) return false;
  return timingSafeEqual(tagOf(rosterKey, derived), v.key);
}

function parseScryptLike(s: string, prefix: 'scrypt' | 'hscrypt'): (ParsedHash & { keyLen: number }) | null {
  const re =
    prefix === 'scrypt'
      ? /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$()([A-Za-z0-9+/=]+)$/
      : /^hscrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$(\d{2}):([A-Za-z0-9+/=]+)$/;
  const m = re.exec(s);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a hostile roster from making sign-in allocate gigabytes.
  if (N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[6]!, 'base64');
  // A verifier names the length of the scrypt output its tag was made from.
  const keyLen = m[5] ? Number(m[5]) : key.length;
  if (salt.length < 8 || keyLen < 16 || keyLen > 64 || key.length < 16 || key.length > 64) return null;
  return { N, r, p, salt, key, keyLen };
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
 * Badges with throttle state kept before any is dropped (those with a single wrong try first), and
 * at most (any unlocked one then, oldest first): made-up badges cannot grow the table without bound.
 */
export const THROTTLE_KEYS = { soft: 10_000, hard: 50_000 } as const;

/**
 * Wrong-PIN throttle per badge (any badge typed, on the roster or not, so that a lockout says
 * nothing about which badges exist). A try is counted as wrong *before* its PIN is checked
 * (`begin`), and cleared only by a right PIN (`success`): tries checked in parallel, or cut short by
 * a crash, all count. After `maxFailures` wrong tries the badge is locked for `lockoutMs`; each
 * further lockout doubles (up to 16×). Attached to a store, the counts and lockouts survive a
 * restart of the daemon: restarting the unit (or making it crash) is no way around a lockout.
 */
export class PinThrottle {
  private readonly state = new Map<string, ThrottleState>();
  /** The badges with a single wrong try and no lockout, oldest touched first: the first to go. */
  private readonly single = new Set<string>();
  private store: ThrottleStore | null = null;

  constructor(
    private readonly maxFailures: number,
    private readonly lockoutMs: number,
  ) {}

  /** Keeps the state in `store` from now on, taking up what it holds. */
  attach(store: ThrottleStore | null): void {
    this.store = store;
    this.state.clear();
    this.single.clear();
    for (const [k, s] of store?.load() ?? []) this.track(k, { ...s });
  }

  /** 0 when the badge may try now, else the ms to wait. */
  waitMs(badge: string, now: number): number {
    const s = this.state.get(badge);
    return s && s.lockedUntil > now ? s.lockedUntil - now : 0;
  }

  /**
   * Counts a try before its PIN is checked: 0 when it may go ahead (and is now counted), else the
   * ms to wait. A count left at the limit (a crash before the answer) locks here.
   */
  begin(badge: string, now: number): number {
    const wait = this.waitMs(badge, now);
    if (wait > 0) return wait;
    const s = this.state.get(badge) ?? { failures: 0, lockedUntil: 0, lockouts: 0 };
    if (s.failures >= this.maxFailures) {
      this.lock(s, now);
      this.put(badge, s, now);
      return s.lockedUntil - now;
    }
    s.failures++;
    this.put(badge, s, now);
    return 0;
  }

  /** The counted try was a wrong PIN: returns the tries left before a lockout (0 = locked now). */
  wrong(badge: string, now: number): number {
    const s = this.state.get(badge) ?? { failures: 1, lockedUntil: 0, lockouts: 0 };
    const left = Math.max(0, this.maxFailures - s.failures);
    if (left === 0) this.lock(s, now);
    this.put(badge, s, now);
    return left;
  }

  /** Records a wrong PIN not counted by `begin` (both steps at once). */
  fail(badge: string, now: number): number {
    const wait = this.begin(badge, now);
    return wait > 0 ? 0 : this.wrong(badge, now);
  }

  success(badge: string): void {
    this.single.delete(badge);
    if (this.state.delete(badge)) this.store?.save(badge, null);
  }

  private lock(s: ThrottleState, now: number): void {
    s.lockedUntil = now + this.lockoutMs * 2 ** Math.min(s.lockouts, 4);
    s.lockouts++;
    s.failures = 0;
  }

  private put(badge: string, s: ThrottleState, now: number): void {
    this.track(badge, s);
    this.store?.save(badge, s);
    // Making room never asks whether a badge is on the roster: a flood of made-up badges would
    // otherwise drop theirs and keep the real ones', and a badge probed before the flood would
    // say which it is by its tries left. Past the soft limit, the oldest touched badges with a
    // single wrong try and no lockout go (a flood costs a badge one counted try at most); past
    // the hard limit, the oldest of any not locked now. Never the badge being counted.
    for (const k of this.single) {
      if (this.state.size <= THROTTLE_KEYS.soft) break;
      if (k !== badge) this.drop(k);
    }
    for (const [k, old] of this.state) {
      if (this.state.size <= THROTTLE_KEYS.hard) break;
      if (k !== badge && old.lockedUntil <= now) this.drop(k);
    }
  }

  /** Takes `s` as the badge's state, its newest touched. */
  private track(badge: string, s: ThrottleState): void {
    this.state.delete(badge);
    this.state.set(badge, s);
    this.single.delete(badge);
    if (s.failures <= 1 && s.lockouts === 0) this.single.add(badge);
  }

  private drop(badge: string): void {
    this.state.delete(badge);
    this.single.delete(badge);
    this.store?.save(badge, null);
  }
}

/**
 * The unit-wide pace of wrong tries (every badge together, made-up ones included). It never
 * refuses a try: past `free` wrong tries within `windowMs`, each further wrong answer is held back
 * (1 s, doubling up to `maxDelayMs`) while its badge stays busy, so a walk through many badges slows
 * down, and a right PIN is answered at once whatever the pace.
 */
export class UnitPace {
  private wrongs: number[] = [];

  constructor(
    private readonly free: number,
    private readonly windowMs: number,
    private readonly maxDelayMs: number,
  ) {}

  /** Records a wrong try; returns how long to hold its answer back. */
  wrong(now: number): number {
    this.wrongs = this.wrongs.filter((t) => t > now - this.windowMs);
    this.wrongs.push(now);
    // Enough history to reach the longest delay; older entries change nothing.
    if (this.wrongs.length > this.free + 64) this.wrongs.shift();
    const over = this.wrongs.length - this.free;
    return over <= 0 ? 0 : Math.min(this.maxDelayMs, 1000 * 2 ** Math.min(over - 1, 30));
  }
}
