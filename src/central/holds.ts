/**
 * Legal holds at the central store, by the same signed command that holds evidence on a unit
 * (`alpr sync hold`, HOLD_FORMAT 3 in sync/topics.ts): signed by an admin key the store pins, and
 * naming the agency and unit whose reads it holds. Anything unsigned, badly signed or by an
 * unknown key is refused with the reason; the store never changes on an unverified command.
 */
import type { KeyObject } from 'node:crypto';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import { type HoldCommand, parseHoldCommand } from '../sync/topics.ts';

export interface HoldTarget {
  applyHold(cmd: HoldCommand, now: number): Promise<number>;
}

export type HoldOutcome = { ok: true; cmd: HoldCommand; changed: number } | { ok: false; problem: string };

/** Verifies a hold command (as sent to `unit`, or to the unit it names) and applies it. */
export async function applySignedHold(
  target: HoldTarget,
  payload: Buffer,
  keys: ReadonlyMap<string, KeyObject>,
  now: number,
  unit?: { agency: string; id: string },
): Promise<HoldOutcome> {
  let named: { agency: string; id: string } | undefined = unit;
  if (!named) {
    try {
      const m = JSON.parse(payload.toString('utf8')) as { agency?: unknown; unit?: unknown };
      named = { agency: String(m.agency), id: String(m.unit) };
    } catch {
      return { ok: false, problem: 'not JSON' };
    }
  }
  const cmd = parseHoldCommand(payload, named, keys, now);
  if (typeof cmd === 'string') return { ok: false, problem: cmd };
  try {
    return { ok: true, cmd, changed: await target.applyHold(cmd, now) };
  } catch (err) {
    // the store's ledger: an old command sent again, or an id used twice
    if (err instanceof AlprError && err.code === ErrorCodes.INPUT) return { ok: false, problem: err.message };
    throw err;
  }
}
