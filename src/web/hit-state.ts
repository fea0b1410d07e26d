/**
 * What the officer does with a hit (policy rule 4): dispatch must verify it. A pure state machine:
 *   new ──request──▶ requested ──verify──▶ verified
 *    │                   │
 *    ├──verify──────────────────────────▶ verified
 *    └──reject──▶ rejected ◀──reject────┘ (from new, requested or verified)
 * Rejected is final. Rejecting needs a reason; "other" needs a note too.
 * The page offers these as one-tap outcomes (see OUTCOMES): "Correct read" asks dispatch
 * (request), "Dispatch verified" verifies, and "Misread", "Wrong state", "Wrong vehicle",
 * "Entry not valid" and "Dismiss" reject with that reason.
 */
export type HitState = 'new' | 'requested' | 'verified' | 'rejected';

export const REJECT_REASONS = {
  misread: 'Misread (the plate is not the one read)',
  'wrong-state': 'Wrong state',
  'vehicle-mismatch': 'Vehicle does not match the entry',
  'entry-not-valid': 'Entry no longer valid (dispatch)',
  dismissed: 'Dismissed by the officer',
  other: 'Other (say why in the note)',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

export type HitAction =
  | { type: 'request'; note?: string }
  | { type: 'verify'; note?: string }
  | { type: 'reject'; reason: RejectReason; note?: string };

export type Transition = { ok: true; state: HitState } | { ok: false; error: string };

const NEXT: Record<HitState, Partial<Record<HitAction['type'], HitState>>> = {
  new: { request: 'requested', verify: 'verified', reject: 'rejected' },
  requested: { verify: 'verified', reject: 'rejected' },
  verified: { reject: 'rejected' },
  rejected: {},
};

export const MAX_NOTE = 500;

/** The page's one-tap outcomes, in the officer's words, and the action each one sends. */
export const OUTCOMES = {
  correct: { label: 'Correct read → ask dispatch', type: 'request' },
  verify: { label: 'Dispatch verified', type: 'verify' },
  misread: { label: 'Misread', type: 'reject', reason: 'misread' },
  'wrong-state': { label: 'Wrong state', type: 'reject', reason: 'wrong-state' },
  'vehicle-mismatch': { label: 'Wrong vehicle', type: 'reject', reason: 'vehicle-mismatch' },
  'entry-not-valid': { label: 'Entry not valid', type: 'reject', reason: 'entry-not-valid' },
  dismiss: { label: 'Dismiss', type: 'reject', reason: 'dismissed' },
} as const satisfies Record<string, { label: string; type: HitAction['type']; reason?: RejectReason }>;

/** Which outcomes a card offers in each state: only transitions that NEXT allows. */
export const OUTCOMES_BY_STATE: Record<HitState, (keyof typeof OUTCOMES)[]> = {
  new: ['correct', 'verify', 'misread', 'wrong-state', 'vehicle-mismatch', 'dismiss'],
  requested: ['verify', 'entry-not-valid', 'misread', 'wrong-state', 'vehicle-mismatch', 'dismiss'],
  verified: ['entry-not-valid', 'vehicle-mismatch'],
  rejected: [],
};

export function isRejectReason(v: unknown): v is RejectReason {
  return typeof v === 'string' && Object.hasOwn(REJECT_REASONS, v);
}

/** Parses an untrusted action body; an error string when it is not one. */
export function parseHitAction(body: unknown): HitAction | string {
  const b = (body ?? {}) as Record<string, unknown>;
  const note = typeof b.note === 'string' ? b.note.trim() : '';
  if (note.length > MAX_NOTE) return `note: at most ${MAX_NOTE} characters`;
  const withNote = note ? { note } : {};
  if (b.type === 'request' || b.type === 'verify') return { type: b.type, ...withNote };
  if (b.type === 'reject') {
    if (!isRejectReason(b.reason)) return `reason: one of ${Object.keys(REJECT_REASONS).join(', ')}`;
    return { type: 'reject', reason: b.reason, ...withNote };
  }
  return 'type: request, verify or reject';
}

export function nextHitState(state: HitState, action: HitAction): Transition {
  const to = NEXT[state][action.type];
  if (!to) return { ok: false, error: `a ${state} hit cannot be ${PAST[action.type]}` };
  if (action.type === 'reject' && action.reason === 'other' && !action.note)
    return { ok: false, error: 'note: say why when the reason is "other"' };
  return { ok: true, state: to };
}

const PAST: Record<HitAction['type'], string> = {
  request: 'sent to dispatch again',
  verify: 'verified',
  reject: 'rejected again',
};
