/**
 * Officer-entered hot plates (policy rule 6): pure validation shared by the CLI and the in-car page.
 */
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { HotlistEntry } from './match.ts';
import { normalizeEntryPlate } from './match.ts';

export const OFFICER_LIST = 'LOCAL';
export const MAX_EXPIRY_IN_STATE_SYSTEMS_MS = 24 * 3600_000;
export const MAX_EXPIRY_LOCAL_MS = 30 * 24 * 3600_000;

import type { OfficerPlateInput } from '../domain/types.ts';

export type { OfficerPlateInput };

const clean = (v: string | null | undefined) => (v && v.trim() !== '' ? v.trim() : null);

/** Known (non-`*`) characters an officer hot plate needs: fewer would match far too many cars. */
export const MIN_KNOWN_CHARACTERS = 3;

/**
 * Every problem with an officer hot plate, in words an officer can act on; [] when it is valid.
 * `existing` are the live officer hot plates: the same plate twice is refused.
 */
export function officerPlateProblems(
  input: OfficerPlateInput,
  now: number,
  existing: readonly { plate: string }[] = [],
): string[] {
  const out: string[] = [];
  const plate = normalizeEntryPlate(input.plate ?? '');
  if (plate.length < 2 || plate.length > 8) out.push('plate: 2 to 8 letters or digits');
  else if ((plate.match(/\*/g) ?? []).length > 2) out.push('plate: at most 2 unknown characters (*)');
  else if (plate.replace(/\*/g, '').length < MIN_KNOWN_CHARACTERS)
    out.push(`plate: at least ${MIN_KNOWN_CHARACTERS} known letters or digits (not *)`);
  if (plate && existing.some((e) => e.plate === plate))
    out.push('plate: already an officer hot plate (cancel that one first to change it)');
  const state = clean(input.state);
  if (state && !/^[A-Za-z]{2}$/.test(state)) out.push('state: a 2-letter code such as CA');
  if (!clean(input.caseNumber) && !clean(input.xref)) {
    out.push('case number or XREF: one is required (the XREF when there is no case)');
  }
  if (!clean(input.reason)) out.push('reason: required');
  if (
    input.priority !== undefined &&
    (!Number.isInteger(input.priority) || input.priority < 1 || input.priority > 9)
  ) {
    out.push('priority: 1 (most urgent) to 9');
  }
  const exp = parseExpiry(input.expires);
  const cap = input.inStateSystems ? MAX_EXPIRY_IN_STATE_SYSTEMS_MS : MAX_EXPIRY_LOCAL_MS;
  const capText = input.inStateSystems ? '24 hours (the plate is also in state/national systems)' : '30 days';
  if (exp === undefined) out.push('expires: required');
  else if (Number.isNaN(exp)) out.push('expires: not a date and time');
  else if (exp <= now) out.push('expires: already in the past');
  else if (exp - now > cap) out.push(`expires: at most ${capText} from now`);
  return out;
}

function parseExpiry(v: number | string | null | undefined): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'number' ? v : Date.parse(v);
}

/** Builds the LOCAL-list entry, or throws AlprError(HOTLIST_ENTRY) listing every problem. */
export function officerPlateEntry(
  input: OfficerPlateInput,
  now: number,
  existing: readonly { plate: string }[] = [],
): HotlistEntry {
  const problems = officerPlateProblems(input, now, existing);
  if (problems.length > 0) {
    throw new AlprError(ErrorCodes.HOTLIST_ENTRY, 'the hot plate was not added', { details: problems });
  }
  return {
    list: OFFICER_LIST,
    plate: normalizeEntryPlate(input.plate),
    raw: input.plate.trim(),
    state: clean(input.state)?.toUpperCase() ?? null,
    priority: input.priority ?? 3,
    caseNumber: clean(input.caseNumber),
    xref: clean(input.xref),
    reason: clean(input.reason),
    officerName: clean(input.officerName),
    officerPhone: clean(input.officerPhone),
    synopsis: clean(input.synopsis),
    informational: false,
    shareable: input.shareable ?? true,
    source: input.inStateSystems ? 'officer:in-state-systems' : 'officer',
    created: now,
    expires: parseExpiry(input.expires) as number,
  };
}
