// The officer's own records on the page: their hot plates (each cancellable) and the audit trail
// in words. A classic script sharing the page's globals with app.js (see index.html).
// Text from the server only ever goes into textContent.

// The officer's own hot plates, each cancellable (an audited action).
// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
async function loadHotPlates() {
  const r = await api('/api/hotplates');
  $('hp-none').classList.toggle('hidden', r.plates.length > 0);
  $('hp-mine').classList.toggle('hidden', r.plates.length === 0);
  $('hp-mine').tBodies[0].replaceChildren(
    ...r.plates.map((p) => {
      const tr = el('tr');
      tr.dataset.plate = p.plate;
      const cancel = el('button', 'cancel', 'Cancel');
      cancel.type = 'button';
      // a stray tap must not take a plate off the list: a second tap within 5 s does
      const tap = twoTap(cancel, 'Tap again to cancel', true);
      cancel.addEventListener('click', async () => {
        if (!tap.armed()) {
          tap.arm();
          return;
        }
        tap.disarm();
        try {
          await api('/api/hotplates/cancel', { plate: p.plate, created: p.created });
          $('hp-result').className = 'ok';
          $('hp-result').textContent = `Cancelled ${p.plate}.`;
        } catch (e) {
          $('hp-result').className = 'error';
          $('hp-result').textContent = e.message;
        }
        loadHotPlates();
      });
      const cell = el('td');
      cell.append(cancel);
      tr.append(
        el('td', 'plate', `${p.plate}${p.state ? ` (${p.state})` : ''}`),
        el('td', '', p.caseNumber || (p.xref ? `XREF ${p.xref}` : '')),
        el('td', '', p.reason || ''),
        el('td', '', p.expires === null ? 'no end' : new Date(p.expires).toLocaleString()),
        cell,
      );
      return tr;
    }),
  );
  labelCells($('hp-mine'));
}

const AUDIT_ACTIONS = {
  search: 'Searched stored reads',
  'image-view': 'Opened an image',
  'shift-check': 'Start-of-shift check',
  'hit-action': 'Handled a hit',
  'hot-plate': 'Added a hot plate',
  'hot-plate-cancel': 'Cancelled a hot plate',
  'sign-in': 'Signed in',
  'sign-out': 'Signed out',
};
const HIT_STATES = { new: 'new', requested: 'dispatch asked', verified: 'verified', rejected: 'rejected' };
const HIT_ACTIONS = { request: 'asked dispatch', verify: 'dispatch verified', reject: 'rejected' };
const when = (ms) => (ms === null || ms === undefined ? '' : new Date(ms).toLocaleString());

/** An audit row's detail in words (never raw JSON or epoch milliseconds). */
function auditWhat(a) {
  const d = a.detail || {};
  switch (a.kind) {
    case 'search': {
      const parts = [];
      if (d.plate) parts.push(`plate ${d.plate}${d.partial ? ' (part)' : ''}`);
      if (d.from || d.to) parts.push(`from ${when(d.from) || 'any time'} to ${when(d.to) || 'now'}`);
      if (d.near)
        parts.push(`within ${d.near.radiusM} m of ${d.near.lat.toFixed(5)}, ${d.near.lon.toFixed(5)}`);
      return parts.join(', ') || 'everything';
    }
    case 'image-view':
      return `${d.image} image of a found read, under search ${d.search}`;
    case 'shift-check': {
      const notGreen = Object.entries(d.lights || {}).filter(([, v]) => v !== 'green');
      const grey = (d.notConfigured || []).length ? ` (${d.notConfigured.join(', ')} not configured)` : '';
      const lights = d.allGreen
        ? `all lights green${grey}`
        : `not green: ${notGreen.map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}${grey}`;
      return [lights, d.note ? `note: ${d.note}` : ''].filter(Boolean).join(' · ');
    }
    case 'hit-action':
      return [
        `${d.plate ? `${d.plate}${d.list ? ` (${d.list})` : ''}: ` : ''}${HIT_ACTIONS[d.action] || d.action}: ${HIT_STATES[d.from] || d.from} → ${HIT_STATES[d.to] || d.to}`,
        d.note ? `note: ${d.note}` : '',
      ]
        .filter(Boolean)
        .join(' · ');
    case 'hot-plate':
      return `${d.plate} until ${when(d.expires) || 'no end'}${d.inStateSystems ? ' (also in state systems)' : ''}`;
    case 'hot-plate-cancel':
      return `${d.plate} (added ${when(d.created)})`;
    default:
      return '';
  }
}

/** A row's reason: a hit's reject reason in the officer's words, not its key. */
function auditReason(a) {
  if (a.kind === 'hit-action' && a.reason) return session?.rejectReasons?.[a.reason] || a.reason;
  return a.reason;
}

// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
async function loadAudit() {
  const r = await api('/api/audit');
  $('audit-chain').className = r.chain.ok ? 'ok' : 'bad';
  $('audit-chain').textContent = r.chain.ok
    ? `Audit chain intact (${r.chain.rows} rows).`
    : `AUDIT CHAIN BROKEN at row ${r.chain.firstBad}: ${r.chain.why}`;
  $('audit').tBodies[0].replaceChildren(
    ...r.rows.map((a) => {
      const tr = el('tr');
      tr.dataset.seq = a.seq;
      tr.dataset.kind = a.kind;
      tr.append(
        el('td', 'nowrap', a.seq),
        el('td', 'nowrap', when(a.at)),
        el('td', 'nowrap', a.badge || ''),
        el('td', '', AUDIT_ACTIONS[a.kind] || a.kind),
        el('td', '', auditWhat(a)),
        el('td', '', [a.caseNumber, auditReason(a)].filter(Boolean).join(' · ')),
        el('td', '', a.resultCount === null ? '' : `${a.resultCount} result(s)`),
      );
      return tr;
    }),
  );
  labelCells($('audit'));
}
