/**
 * The admin side of a format-2 roster copy: one roster key per unit copy, each officer's scrypt
 * hash turned into a keyed verifier under it (web/pin.ts), the key wrapped to the unit's
 * certificate (domain/roster-key.ts). The scrypt hashes themselves never leave the admin's machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { type PinKeyWrap, recipientKey, wrapContext, wrapRosterKey } from '../domain/roster-key.ts';
import { keyPinHash, newRosterKey } from '../web/pin.ts';
import type { RosterEntry } from '../web/roster.ts';

/** Each unit's certificate key from `<dir>/<unit>.crt` (or `.pem`); refuses when one is missing. */
export function readUnitCerts(dir: string, units: readonly string[]): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  const missing: string[] = [];
  for (const unit of units) {
    const file = ['.crt', '.pem'].map((ext) => join(dir, unit + ext)).find((f) => existsSync(f));
    if (!file) missing.push(unit);
    else {
      try {
        out.set(unit, recipientKey(readFileSync(file)));
      } catch (err) {
        throw new AlprError(ErrorCodes.ROSTER_KEY, `${file}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  if (missing.length > 0)
    throw new AlprError(
      ErrorCodes.ROSTER_KEY,
      `--unit-certs ${dir}: no certificate for ${missing.join(', ')} (<unit>.crt or <unit>.pem, as the agency CA issued it)`,
    );
  return out;
}

/** Makes one unit's copy (users keyed under a fresh key, the key wrapped to that unit). */
export function rosterCopyMaker(
  agency: string,
  users: readonly RosterEntry[],
  certs: ReadonlyMap<string, KeyObject>,
): (unit: string, copyId: string) => { users: unknown[]; pinKey: PinKeyWrap } {
  return (unit, copyId) => {
    const cert = certs.get(unit);
    if (!cert) throw new AlprError(ErrorCodes.ROSTER_KEY, `no certificate for unit ${unit}`);
    const key = newRosterKey();
    const keyed = users.map((u) => {
      const pinVerifier = keyPinHash(u.pinHash, key);
      if (!pinVerifier) throw new AlprError(ErrorCodes.INPUT, `user ${u.badge}: not a scrypt hash`);
      return { badge: u.badge, name: u.name, trained: u.trained, pinVerifier, expires: u.expires };
    });
    return { users: keyed, pinKey: wrapRosterKey(key, cert, wrapContext(agency, unit, copyId)) };
  };
}
