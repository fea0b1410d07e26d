/**
 * Officer hot plates on the page (policy rule 6): add one through the hot-list stage's own checks,
 * list one's own, cancel one's own. Each add and cancel is an audit row.
 */
import type { ServerResponse } from 'node:http';
import { AlprError } from '../domain/errors.ts';
import { audit, text, time } from './api.ts';
import { field, HttpError, sendJson } from './http.ts';
import type { HotPlateInput, OwnHotPlate, WebStage } from './index.ts';
import type { Session } from './session.ts';

/** Live hot plates one officer may have entered at once. */
export const MAX_OWN_PLATES = 50;

export function hotPlate(
  web: WebStage,
  s: Session,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const add = web.deps.addHotPlate;
  if (!add) throw new HttpError(503, 'hot plates cannot be entered on this unit');
  // each is a live alert for up to 30 days: a session must not fill the list
  if (own(web, s).length >= MAX_OWN_PLATES)
    throw new HttpError(
      409,
      `You have ${MAX_OWN_PLATES} hot plates live: cancel one before entering another.`,
    );
  const input: HotPlateInput = {
    plate: field(body.plate, 'plate'),
    state: text(body.state, 8),
    caseNumber: text(body.caseNumber, 40),
    xref: text(body.xref, 40),
    reason: text(body.reason, 300),
    // the signed-in officer, never a name the request gives: "own" plates are found by it
    officerName: enteredBy(s),
    officerPhone: text(body.officerPhone, 40),
    synopsis: text(body.synopsis, 500),
    expires: time(body.expires, 'expires') ?? null,
    inStateSystems: body.inStateSystems === true,
  };
  if (typeof body.priority === 'number') input.priority = body.priority;
  let added: { plate: string; expires: number | null };
  try {
    added = add(input);
  } catch (err) {
    if (err instanceof AlprError) throw new HttpError(400, err.message, err.details);
    throw err;
  }
  audit(web, s, {
    kind: 'hot-plate',
    detail: { plate: added.plate, expires: added.expires, inStateSystems: input.inStateSystems },
    reason: input.reason ?? null,
    caseNumber: input.caseNumber ?? input.xref ?? null,
  });
  sendJson(res, 200, { added });
}

/** Who entered a hot plate, as the entry and its hits name them: the officer's name and badge. */
function enteredBy(s: Session): string {
  return `${s.name} (${s.badge})`;
}

/** The signed-in officer's own live hot plates (entered under their name and badge), soonest to expire first. */
function own(web: WebStage, s: Session): OwnHotPlate[] {
  return (web.deps.officerPlates?.() ?? [])
    .filter((e) => e.officerName === enteredBy(s))
    .map((e) => ({ ...e }))
    .sort((a, b) => (a.expires ?? Infinity) - (b.expires ?? Infinity));
}

export function ownHotPlates(web: WebStage, s: Session, res: ServerResponse): void {
  if (!web.deps.officerPlates) throw new HttpError(503, 'hot plates cannot be listed on this unit');
  sendJson(res, 200, { plates: own(web, s) });
}

export function cancelHotPlate(
  web: WebStage,
  s: Session,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const cancel = web.deps.cancelHotPlate;
  if (!cancel) throw new HttpError(503, 'hot plates cannot be cancelled on this unit');
  const plate = field(body.plate, 'plate').toUpperCase();
  const created = Number(field(body.created, 'created'));
  const mine = own(web, s).find((e) => e.plate === plate && e.created === created);
  if (!mine) throw new HttpError(404, 'no such hot plate of yours (expired, or already cancelled?)');
  if (!cancel(mine.plate, mine.created))
    throw new HttpError(409, 'the hot plate changed meanwhile: look again');
  audit(web, s, {
    kind: 'hot-plate-cancel',
    detail: { plate: mine.plate, created: mine.created },
    reason: mine.reason,
    caseNumber: mine.caseNumber ?? mine.xref,
  });
  sendJson(res, 200, { cancelled: mine.plate });
}
