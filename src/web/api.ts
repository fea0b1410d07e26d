/** The JSON API of the officer's page. Everything needs an operator session except the lights. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostAllowed } from '../core/host-header.ts';
import { uuidv7 } from '../domain/ids.ts';
import { normalizePlate } from '../domain/plate.ts';
import { VERIFY_BANNER } from '../domain/policy.ts';
import type { AuditEntry } from './audit.ts';
import { nextHitState, OUTCOMES, OUTCOMES_BY_STATE, parseHitAction, REJECT_REASONS } from './hit-state.ts';
import {
  crossSiteProblem,
  field,
  fromThePage,
  HttpError,
  overTls,
  readJson,
  sendJson,
  serveStatic,
  SECURITY_HEADERS,
} from './http.ts';
import { cancelHotPlate, hotPlate, ownHotPlates } from './api-hotplates.ts';
import type { WebStage } from './index.ts';
import { pinProblem } from './pin.ts';
import { clearedCookie, parseCookies, SESSION_COOKIE, type Session, sessionCookie } from './session.ts';
import { statusView } from './status.ts';
import { allGreen, readView } from './views.ts';
import { isControl, isLineSpace } from '../domain/text.ts';

/** A roster badge's shape (roster.ts): anything else is not even looked up. */
const BADGE = /^[A-Za-z0-9_-]{1,32}$/;
/** A case number's shape: an agency's numbers carry digits ("xx" is no case). */
const CASE_NUMBER = /^[A-Za-z0-9][A-Za-z0-9/_-]{2,39}$/;

export async function handleRequest(web: WebStage, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    // DNS rebinding: a page elsewhere that resolves its own name to this unit is refused.
    if (!hostAllowed(req.headers.host, web.deps.config.host)) throw new HttpError(421, 'unexpected Host');
    // Over HTTPS the browser is told to come back only over HTTPS (a year).
    if (overTls(req)) res.setHeader('strict-transport-security', 'max-age=31536000');
    const url = new URL(req.url ?? '/', 'http://unit');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (!path.startsWith('/api/')) {
      if ((method === 'GET' || method === 'HEAD') && (await serveStatic(res, path, method === 'HEAD')))
        return;
      throw new HttpError(404, 'not found');
    }
    // another page's request (an image tag on another local port) is no page contact
    if (!fromThePage(req.headers)) throw new HttpError(403, 'refused: a request from another page');
    if (method === 'GET' && path === '/api/lights') {
      const lights = web.deps.lights();
      return sendJson(res, 200, { lights, allGreen: allGreen(lights), hotlist: web.hotlist });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const problem = crossSiteProblem(req.headers, overTls(req) ? 'https' : 'http');
      if (problem === 'not JSON') throw new HttpError(415, 'send JSON (content-type: application/json)');
      if (problem) throw new HttpError(403, `refused: a request from ${problem}`);
    }
    if (method === 'POST' && path === '/api/signin') return await signIn(web, req, res);
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const session = web.sessions.get(token);
    if (!session) throw new HttpError(401, 'sign in first');
    await route(web, session, method, url, req, res);
  } catch (err) {
    if (err instanceof HttpError) {
      sendJson(res, err.status, { error: err.message, details: err.details });
    } else {
      web.deps.log.error({ err: (err as Error).message }, 'web request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    }
  }
}

async function route(
  web: WebStage,
  s: Session,
  method: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = url.pathname;
  const db = web.db;
  if (!db) throw new HttpError(503, 'starting');
  const hitAction = /^\/api\/hits\/([A-Za-z0-9-]{1,64})\/action$/.exec(path);
  const image = /^\/api\/images\/([A-Za-z0-9-]{1,64})\/(plate|overview)$/.exec(path);
  if (method === 'GET' && path === '/api/session') {
    return sendJson(res, 200, {
      operator: { badge: s.badge, name: s.name },
      expiresAt: s.expiresAt,
      mode: web.deps.mode,
      shiftCheck: db.lastShiftCheck(s.badge, s.createdAt),
      banner: VERIFY_BANNER,
      rejectReasons: REJECT_REASONS,
      outcomes: OUTCOMES,
      outcomesByState: OUTCOMES_BY_STATE,
      features: { search: !!web.deps.search, hotPlates: !!web.deps.addHotPlate },
    });
  }
  if (method === 'POST' && path === '/api/signout') {
    web.sessions.end(s.id);
    web.reportOperator();
    audit(web, s, { kind: 'sign-out', detail: {} });
    return sendJson(res, 200, { ok: true }, { 'set-cookie': clearedCookie(overTls(req)) });
  }
  if (method === 'GET' && path === '/api/events') return web.subscribe(res, s.id);
  if (method === 'GET' && path === '/api/reads') return sendJson(res, 200, { reads: web.reads });
  if (method === 'GET' && path === '/api/hits') return sendJson(res, 200, { hits: web.hitViews() });
  if (method === 'POST' && path === '/api/shift-check') return shiftCheck(web, s, await readJson(req), res);
  if (method === 'POST' && hitAction) return handleHit(web, s, hitAction[1]!, await readJson(req), res);
  if (method === 'GET' && image)
    return viewImage(web, s, image[1]!, image[2] as 'plate' | 'overview', url, res);
  if (method === 'GET' && path === '/api/here') {
    const f = web.lastFix;
    if (!f || f.quality === 'none') throw new HttpError(404, 'no GPS position');
    return sendJson(res, 200, { lat: f.lat, lon: f.lon, ageMs: web.now() - f.receivedAt });
  }
  if (method === 'POST' && path === '/api/search') return await search(web, s, await readJson(req), res);
  if (method === 'GET' && path === '/api/audit') {
    // The officer sees their own rows (other officers' searches are for the auditors), and whether
    // the whole trail's chain holds.
    const chain = await db.verifyAuditShared();
    return sendJson(res, 200, { rows: db.recentAudit(50, s.badge), chain });
  }
  if (method === 'POST' && path === '/api/hotplates') return hotPlate(web, s, await readJson(req), res);
  if (method === 'GET' && path === '/api/hotplates') return ownHotPlates(web, s, res);
  if (method === 'POST' && path === '/api/hotplates/cancel')
    return cancelHotPlate(web, s, await readJson(req), res);
  if (method === 'GET' && path === '/api/status') return sendJson(res, 200, status(web));
  throw new HttpError(404, 'not found');
}

/** Every refused sign-in reads the same whether the badge exists or not, and names nobody. */
const WRONG = 'Wrong badge or PIN';

async function signIn(web: WebStage, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  const badge = field(body.badge, 'badge').trim();
  const pin = field(body.pin, 'pin');
  if (!BADGE.test(badge)) throw new HttpError(400, 'Enter your badge number.');
  if (pinProblem(pin)) throw new HttpError(400, 'Enter your PIN (4 to 12 digits).');
  const r = await web.signIn.attempt(badge, pin, req.socket.remoteAddress ?? '');
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  if (r.kind === 'busy')
    throw new HttpError(
      429,
      r.why === 'badge'
        ? 'A sign-in for this badge is being checked. Try again.'
        : 'Other sign-ins from this device are being checked. Try again.',
    );
  if (r.kind === 'locked')
    throw new HttpError(429, `Too many wrong tries for this badge. Try again in ${seconds(r.waitMs)} s.`);
  if (r.kind === 'wrong') {
    // counted: a flood of guesses makes a line a minute, not one a guess
    web.wrongPins.reject('wrong badge or PIN');
    throw new HttpError(
      401,
      r.left === 0
        ? `${WRONG}. Sign-in for this badge is locked for ${seconds(r.lockedMs)} s.`
        : `${WRONG} (${r.left} ${r.left === 1 ? 'try' : 'tries'} left).`,
    );
  }
  if (r.kind === 'barred')
    throw new HttpError(
      403,
      'This account may not operate the unit now (not marked as trained, or expired). Ask an ALPR administrator.',
    );
  const { session: s, token } = web.sessions.create({ badge: r.entry.badge, name: r.entry.name });
  web.reportOperator();
  web.deps.log.info({ badge }, 'operator signed in');
  audit(web, s, { kind: 'sign-in', detail: {} });
  sendJson(
    res,
    200,
    { operator: { badge: s.badge, name: s.name }, expiresAt: s.expiresAt },
    {
      'set-cookie': sessionCookie(s, token, web.now(), overTls(req)),
    },
  );
}

export function text(v: unknown, max: number): string | null {
  if (v === undefined || v === null) return null;
  const t = field(v, 'a text field').trim();
  if (t.length > max) throw new HttpError(400, `at most ${max} characters`);
  // typed text has line breaks and tabs at most: an escape sequence is no officer's words
  for (const ch of t) {
    const c = ch.codePointAt(0)!;
    if (isControl(c) && !isLineSpace(c)) throw new HttpError(400, 'control characters are not allowed');
  }
  return t === '' ? null : t;
}

export function audit(
  web: WebStage,
  s: Session | null,
  e: Partial<AuditEntry> & Pick<AuditEntry, 'kind' | 'detail'>,
) {
  const row = web.db!.appendAudit({
    at: web.now(),
    badge: s?.badge ?? null,
    reason: null,
    caseNumber: null,
    resultCount: null,
    ...e,
  });
  web.upstream({ id: `audit:${row.seq}:${row.hash.slice(0, 16)}`, kind: 'audit', body: row });
  return row;
}

function shiftCheck(web: WebStage, s: Session, body: Record<string, unknown>, res: ServerResponse): void {
  const lights = web.deps.lights();
  const green = allGreen(lights);
  const claimed = body.allGreen === true;
  const note = text(body.note, 500);
  if (claimed && !green)
    throw new HttpError(409, 'Not every light is green now: record what is not green instead.');
  if (!claimed && !note) throw new HttpError(400, 'Say what is not green (and that you reported it).');
  const hotlist = web.hotlist ? { light: web.hotlist.light, reason: web.hotlist.reason } : null;
  const seen = {
    ...lights,
    ...(hotlist ? { hotlist: { light: hotlist.light, reasons: [hotlist.reason] } } : {}),
  };
  const check = web.db!.addShiftCheck({
    at: web.now(),
    badge: s.badge,
    allGreen: claimed,
    lights: seen,
    note,
  });
  // a light with nothing behind it (no server link configured) counts as green but is not one:
  // the record says which the officer confirmed that way
  const notConfigured = Object.entries(lights)
    .filter(([, v]) => v.reasons.length > 0 && v.reasons.every((r) => r.endsWith(': not configured')))
    .map(([k]) => k);
  audit(web, s, {
    kind: 'shift-check',
    detail: { allGreen: claimed, lights: summary(lights), notConfigured, hotlist, note },
  });
  web.upstream({
    id: `shift-check:${uuidv7(check.at)}`,
    kind: 'shift-check',
    body: { by: s.badge, at: check.at, allGreen: claimed, lights, notConfigured, note },
  });
  sendJson(res, 200, { shiftCheck: check });
}

function summary(lights: ReturnType<WebStage['deps']['lights']>): Record<string, string> {
  return Object.fromEntries(Object.entries(lights).map(([k, v]) => [k, v.light]));
}

function handleHit(
  web: WebStage,
  s: Session,
  id: string,
  body: Record<string, unknown>,
  res: ServerResponse,
) {
  const hit = web.hits.get(id);
  if (!hit) throw new HttpError(404, 'no such hit on this page (older than the page keeps?)');
  const action = parseHitAction(body);
  if (typeof action === 'string') throw new HttpError(400, action);
  const [view] = web.hitViews([hit]);
  const from = view!.handling.state;
  const t = nextHitState(from, action);
  if (!t.ok) throw new HttpError(409, t.error);
  const at = web.now();
  const reason = action.type === 'reject' ? action.reason : null;
  const note = action.note ?? null;
  web.db!.addHitAction({
    hitId: id,
    at,
    badge: s.badge,
    action: action.type,
    from,
    to: t.state,
    reason,
    note,
  });
  audit(web, s, {
    kind: 'hit-action',
    // the plate and list too: the trail says which hit was handled without the hit at hand
    detail: {
      hitId: id,
      plate: hit.plate,
      list: hit.match.list,
      action: action.type,
      from,
      to: t.state,
      note,
    },
    reason,
  });
  // The machine never returns to a state: (hit, state) is a stable id.
  web.upstream({
    id: `hit-state:${id}:${t.state}`,
    kind: 'hit-state',
    body: { hitId: id, from, state: t.state, action: action.type, by: s.badge, at, reason, note },
  });
  const [next] = web.hitViews([hit]);
  web.broadcast('hitState', next);
  sendJson(res, 200, { hit: next });
}

export function time(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const t = typeof v === 'number' ? v : Date.parse(field(v, what));
  if (Number.isNaN(t)) throw new HttpError(400, `${what}: not a date and time`);
  return t;
}

async function search(
  web: WebStage,
  s: Session,
  body: Record<string, unknown>,
  res: ServerResponse,
): Promise<void> {
  if (!web.deps.search) throw new HttpError(503, 'search is not available on this unit');
  const problems: string[] = [];
  const reason = text(body.reason, 300);
  const caseNumber = text(body.caseNumber, 40);
  const plate = normalizePlate(field(body.plate, 'plate'));
  const partial = body.partial === true;
  const from = time(body.from, 'from');
  const to = time(body.to, 'to');
  if (!reason || reason.length < 4) problems.push('reason: say why you search (at least 4 characters)');
  else if (reason.split(/\s+/).length < 2) problems.push('reason: say why in a few words, not one');
  if (!caseNumber || !CASE_NUMBER.test(caseNumber) || !/[0-9]/.test(caseNumber))
    problems.push(
      'case number: required, 3 to 40 letters, digits, - / _ with at least one digit (C-2026-0042)',
    );
  const near = place(body.near, problems);
  if (!plate && from === undefined && to === undefined && (body.near === undefined || body.near === null))
    problems.push('give a plate, part of one, a time range or a place');
  if (partial && plate.length < 2) problems.push('partial plate: at least 2 characters');
  if (from !== undefined && to !== undefined && from > to) problems.push('from: must be before to');
  if (problems.length) throw new HttpError(400, 'the search was not run', problems);
  const wait = web.searchLimit.admit(s.badge, web.now());
  if (wait > 0) {
    // counted, never audited: no search ran
    web.searchRefusals.reject('too many searches');
    const per = web.deps.config.searchesPerMinute;
    throw new HttpError(
      429,
      `Too many searches: at most ${per} a minute and ${per * 6} an hour. Try again in ${Math.ceil(wait / 1000)} s.`,
    );
  }
  const limit = web.deps.config.searchMaxResults;
  const reads = await web.deps.search.search({
    limit,
    ...(plate ? { plate, partial } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(near ? { near } : {}),
  });
  const query = { plate: plate || null, partial, from: from ?? null, to: to ?? null, near };
  const row = audit(web, s, { kind: 'search', detail: query, reason, caseNumber, resultCount: reads.length });
  web.rememberSearch(s.id, { seq: row.seq, readIds: new Set(reads.map((r) => r.id)), reason, caseNumber });
  sendJson(res, 200, { reads: reads.map(readView), truncated: reads.length >= limit, audit: row });
}

/**
 * A read's plate crop or overview. Opened from a search result (`?search=<the search's audit row>`,
 * a search by the signed-in officer that returned the read), each view is an audit row of its own (who,
 * when, which read and image, under which search, with that search's reason and case), even when
 * the read is also a hit on the page. Without `?search`, only the images of a hit on the page (the
 * live alert card, and the hits kept across a restart) are shown, without an audit row: they were
 * pushed to the officer, not looked up. Anything else is refused.
 */
function viewImage(
  web: WebStage,
  s: Session,
  readId: string,
  kind: 'plate' | 'overview',
  url: URL,
  res: ServerResponse,
): void {
  const search = url.searchParams.get('search');
  const seq = Number(search);
  const found = search ? web.searches.get(s.id)?.find((f) => f.seq === seq && f.readIds.has(readId)) : null;
  const onPage = !search && [...web.hits.values()].some((h) => h.readId === readId);
  if (!onPage && !found)
    throw new HttpError(403, 'images of a stored read open from a search that found it (audited)');
  const jpeg = web.deps.images?.image(readId, kind) ?? null;
  if (!jpeg) throw new HttpError(404, 'no such image');
  // The first opening of each image under a search is the audit row; opening it again under the
  // same search adds nothing to the trail (and a loop of re-openings cannot flood it).
  const key = `${readId}:${kind}`;
  if (found && !found.viewed?.has(key)) {
    audit(web, s, {
      kind: 'image-view',
      detail: { readId, image: kind, search: found.seq },
      reason: found.reason,
      caseNumber: found.caseNumber,
    });
    const viewed = found.viewed ?? new Set<string>();
    viewed.add(key);
    found.viewed = viewed;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'image/jpeg' });
  res.end(jpeg);
}

/** A search's place: { lat, lon, radiusM } (10 m to 50 km), or null when none was given. */
function place(v: unknown, problems: string[]): { lat: number; lon: number; radiusM: number } | null {
  if (v === undefined || v === null) return null;
  const p = v as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' || typeof x === 'string' ? Number(x) : Number.NaN);
  const [lat, lon, radiusM] = [num(p.lat), num(p.lon), num(p.radiusM)];
  if (!(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180) || !(radiusM >= 10 && radiusM <= 50_000)) {
    problems.push('place: latitude, longitude and a radius of 10 m to 50 km');
    return null;
  }
  return { lat, lon, radiusM };
}

/** The mid-shift status: lights with their parts, hot-list ages, the last acknowledged upload. */
function status(web: WebStage) {
  const d = web.deps;
  return statusView(
    d.lights(),
    d.lightParts?.() ?? {},
    d.hotlists?.() ?? [],
    d.upload?.() ?? null,
    web.now(),
  );
}
