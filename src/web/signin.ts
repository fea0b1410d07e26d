/**
 * Sign-in decisions, apart from HTTP. Every try is counted against its badge before any PIN hash is
 * computed, and one badge is checked one try at a time, so parallel guesses get no more checks than
 * the limit. Badges not on the roster are checked against a stand-in hash and answered exactly like
 * a wrong PIN: the answers never say which badges exist, nor whose they are. Wrong tries unit-wide
 * only slow the answers down (UnitPace); they never lock out a badge that is not itself guessed at.
 * Lockouts are per badge and address: tries from another device lock that device out, and only a
 * larger number of them across addresses locks the badge, never at the screen it last signed in from.
 */
import { randomInt } from 'node:crypto';
import { hashPin, keyPinHash, newRosterKey, type PinThrottle, type UnitPace, verifyPin } from './pin.ts';
import type { RosterEntry } from './roster.ts';

export type SignInOutcome =
  | { kind: 'ok'; entry: RosterEntry }
  /**
   * Another try of this badge is being checked now (`badge`), or CLIENT_IN_FLIGHT tries from the
   * same address are (`client`): nothing was counted or checked.
   */
  | { kind: 'busy'; why: 'badge' | 'client' }
  | { kind: 'locked'; waitMs: number }
  /** A wrong PIN or a badge not on the roster (the same answer): tries left, 0 = now locked. */
  | { kind: 'wrong'; left: number; lockedMs: number }
  /** The right PIN of an account that may not operate the unit now (untrained or expired). */
  | { kind: 'barred' };

/** Where each badge last signed in from (its officer's screen), kept across restarts. */
export interface HomeAddresses {
  get(badge: string): string | undefined;
  set(badge: string, address: string): void;
}

export interface SignInDeps {
  /**
   * Wrong tries per badge. With `local`, this is the count across every address (a larger limit:
   * it bounds guessing from many addresses), and it does not lock the badge's own screen.
   */
  throttle: PinThrottle;
  /**
   * Wrong tries per badge and address (`badge address`), locking at the badge's limit: tries from
   * elsewhere lock that address out, not the officer at the screen the badge last signed in from.
   */
  local?: PinThrottle;
  homes?: HomeAddresses;
  pace: UnitPace;
  roster: (badge: string) => RosterEntry | undefined;
  now: () => number;
  /** Holds a wrong answer back (the unit-wide pace); setTimeout in the daemon. */
  sleep: (ms: number) => Promise<void>;
  verify?: (pin: string, stored: string) => Promise<boolean>;
  /** The stored form the stand-in takes: `keyed` (the unit's database) or a plain scrypt hash. */
  storedForm?: 'keyed' | 'scrypt';
}

/**
 * Tries one address may have checked at once. Each costs a PIN hash (and a wrong one is held back
 * by the unit-wide pace): without a cap, one device sending hundreds of made-up badges at once
 * had them hashed side by side, and the officer's own sign-in waited behind them (15 s behind
 * 600). The cap is the same for every badge, known or not, so it tells nothing of the roster.
 */
export const CLIENT_IN_FLIGHT = 2;

export class SignInGuard {
  /** Badges with a try being checked now. */
  private readonly busy = new Set<string>();
  /** Tries being checked now, by client address. */
  private readonly clients = new Map<string, number>();
  private standIn: Promise<string> | null = null;

  constructor(private readonly deps: SignInDeps) {}

  async attempt(badge: string, pin: string, client = ''): Promise<SignInOutcome> {
    const { throttle, pace, now } = this.deps;
    if (this.busy.has(badge)) return { kind: 'busy', why: 'badge' };
    const inFlight = this.clients.get(client) ?? 0;
    if (inFlight >= CLIENT_IN_FLIGHT) return { kind: 'busy', why: 'client' };
    const { local, homes } = this.deps;
    const localKey = `${badge} ${client}`;
    const atHome = local !== undefined && homes?.get(badge) === client;
    // the badge-wide lock: for every address but the badge's own screen
    if (local && !atHome) {
      const w = throttle.waitMs(badge, now());
      if (w > 0) return { kind: 'locked', waitMs: w };
    }
    // Counted (and stored) before the hash: a crash or a parallel flood cannot skip the count.
    const wait = local ? local.begin(localKey, now()) : throttle.begin(badge, now());
    if (wait > 0) return { kind: 'locked', waitMs: wait };
    let badgeCounted = !local;
    if (local) {
      const w = throttle.begin(badge, now());
      badgeCounted = w === 0;
      if (w > 0 && !atHome) return { kind: 'locked', waitMs: w };
    }
    this.busy.add(badge);
    this.clients.set(client, inFlight + 1);
    let holding = true;
    // The address's slot bounds the PIN hashes it runs at once; a wrong answer held back by the
    // pace hashes nothing, so it gives the slot back (only its badge stays busy): two held wrong
    // tries must not keep the officer's right PIN from the same address (one car's network) out.
    const release = () => {
      if (!holding) return;
      holding = false;
      const n = (this.clients.get(client) ?? 1) - 1;
      if (n > 0) this.clients.set(client, n);
      else this.clients.delete(client);
    };
    try {
      const entry = this.deps.roster(badge);
      // A stand-in hash for unknown badges costs the same time as a real check.
      const right = await (this.deps.verify ?? verifyPin)(pin, entry?.pinHash ?? (await this.standInHash()));
      if (right && entry) {
        throttle.success(badge);
        local?.success(localKey);
        homes?.set(badge, client);
        return mayOperate(entry, now()) ? { kind: 'ok', entry } : { kind: 'barred' };
      }
      const left = this.wrong(badge, localKey, atHome, badgeCounted);
      const hold = pace.wrong(now());
      // The badge stays busy while the answer is held back: one guess per badge per pause.
      release();
      if (hold > 0) await this.deps.sleep(hold);
      const lockedMs = Math.max(
        local ? local.waitMs(localKey, now()) : 0,
        !local || !atHome ? throttle.waitMs(badge, now()) : 0,
      );
      return { kind: 'wrong', left, lockedMs };
    } finally {
      this.busy.delete(badge);
      release();
    }
  }

  /** Counts a wrong PIN; returns the tries left before this address is locked out (0: now). */
  private wrong(badge: string, localKey: string, atHome: boolean, badgeCounted: boolean): number {
    const { throttle, local, now } = this.deps;
    const badgeLeft = badgeCounted ? throttle.wrong(badge, now()) : Number.POSITIVE_INFINITY;
    if (!local) return badgeLeft;
    const localLeft = local.wrong(localKey, now());
    return atHome ? localLeft : Math.min(localLeft, badgeLeft);
  }

  /** Of the same form (and cost) as the stored verifiers; its key is thrown away. */
  private standInHash(): Promise<string> {
    this.standIn ??= hashPin(String(randomInt(0, 1e12)).padStart(12, '0')).then((h) =>
      this.deps.storedForm === 'keyed' ? (keyPinHash(h, newRosterKey()) ?? h) : h,
    );
    return this.standIn;
  }
}

/** Whether a roster entry may operate the unit now (policy: trained users with a current account). */
export function mayOperate(e: RosterEntry, now: number): boolean {
  return e.trained && (e.expires === null || e.expires > now);
}
