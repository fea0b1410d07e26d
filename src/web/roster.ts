/**
 * The roster of users allowed to operate this unit (policy rule 1), as admins provide it:
 * CSV (header: badge,name,trained,pin_hash,expires — or `pin` instead of `pin_hash`, hashed on
 * import) or JSON (an array of the same fields, camelCase `pinHash` accepted). An admin's push
 * carries keyed verifiers instead (`pinVerifier`, `{ keyed: true }`): never a searchable hash.
 */
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { hashPin, parsePinHash, parsePinVerifier, pinProblem } from './pin.ts';

export interface RosterEntry {
  badge: string;
  name: string;
  trained: boolean;
  /**
   * A scrypt hash (`scrypt$…`) as read from a roster file, or a keyed verifier (`hscrypt$…`) from
   * an admin's push; the unit's database holds keyed verifiers only (db.ts).
   */
  pinHash: string;
  /** Epoch ms after which the account no longer signs in; null = no expiry. */
  expires: number | null;
}

/** Splits CSV text into rows of fields (double quotes, doubled quotes inside them). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endRow = () => {
    row.push(field);
    if (row.some((f) => f.trim() !== '')) rows.push(row);
    row = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += c;
  }
  endRow();
  return rows;
}

function truthy(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  const s = String(v ?? '')
    .trim()
    .toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(s)) return true;
  if (['false', 'no', 'n', '0', ''].includes(s)) return false;
  return null;
}

type RawEntry = Record<string, unknown>;

function rawEntries(text: string, format: 'csv' | 'json'): RawEntry[] {
  if (format === 'json') {
    const v = JSON.parse(text) as unknown;
    const list = Array.isArray(v) ? v : (v as { users?: unknown })?.users;
    if (!Array.isArray(list)) throw new AlprError(ErrorCodes.INPUT, 'roster JSON: an array of users');
    return list as RawEntry[];
  }
  const [head, ...rows] = csvRows(text);
  const keys = (head ?? []).map((h) => h.trim().toLowerCase());
  return rows.map((r) => Object.fromEntries(keys.map((k, i) => [k, (r[i] ?? '').trim()])));
}

/** Parses and checks a roster file; throws listing every bad line. PINs given in clear get hashed. */
export async function parseRoster(
  text: string,
  format: 'csv' | 'json',
  opts: { keyed?: boolean } = {},
): Promise<RosterEntry[]> {
  const out: RosterEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, r] of rawEntries(text, format).entries()) {
    const at = `user ${i + 1}`;
    const badge = String(r.badge ?? '').trim();
    const name = String(r.name ?? '').trim();
    const trained = truthy(r.trained);
    const pin = String(r.pin ?? '').trim();
    const hash = String(r.pin_hash ?? r.pinHash ?? '').trim();
    const verifier = String(r.pin_verifier ?? r.pinVerifier ?? '').trim();
    const expRaw = r.expires ?? '';
    const expires =
      expRaw === '' || expRaw === null
        ? null
        : typeof expRaw === 'number'
          ? expRaw
          : Date.parse(String(expRaw));
    const before = problems.length;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(badge)) problems.push(`${at}: badge must be 1-32 of A-Z a-z 0-9 _ -`);
    else if (seen.has(badge)) problems.push(`${at}: badge ${badge} appears twice`);
    if (!name || name.length > 100) problems.push(`${at}: name is required (at most 100 characters)`);
    if (trained === null) problems.push(`${at}: trained must be true or false`);
    if (expires !== null && Number.isNaN(expires)) problems.push(`${at}: expires is not a date`);
    if (opts.keyed) {
      if (hash || pin)
        problems.push(`${at}: a pushed roster carries keyed verifiers only, no pin or pin_hash`);
      if (!parsePinVerifier(verifier))
        problems.push(`${at}: pinVerifier is not a keyed verifier this unit reads`);
    } else {
      if (verifier)
        problems.push(`${at}: pin_verifier belongs to a pushed roster only (give pin_hash or pin)`);
      if (hash && !parsePinHash(hash)) problems.push(`${at}: pin_hash is not a scrypt hash this unit reads`);
      if (!hash && pin && pinProblem(pin)) problems.push(`${at}: ${pinProblem(pin)}`);
      if (!hash && !pin) problems.push(`${at}: pin_hash (or pin) is required`);
    }
    seen.add(badge);
    if (problems.length > before) continue;
    const pinHash = opts.keyed ? verifier : hash || (await hashPin(pin));
    out.push({ badge, name, trained: trained as boolean, pinHash, expires });
  }
  if (problems.length > 0)
    throw new AlprError(ErrorCodes.INPUT, 'the roster was not imported', { details: problems });
  return out;
}
