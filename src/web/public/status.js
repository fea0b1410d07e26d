// Mid-shift status on the main screen: the four lights open to their reasons, every hot list's
// version and age (amber past its limit), and the last upload the server acknowledged.
// Text from the server only ever goes into textContent.

// the words of the start-of-shift check's lights, here too: one name for each state everywhere
const LIGHT_WORDS = { green: 'GREEN', amber: 'AMBER', red: 'RED', grey: 'NOT CONFIGURED' };
const LIGHT_ICONS = { green: '●', amber: '▲', red: '■', grey: '○' };

/** A light as shown: grey with words when nothing is configured behind it, never green. */
// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function lightShown(l) {
  const unconfigured = l.reasons.length > 0 && l.reasons.every((r) => /: not configured$/.test(r));
  return unconfigured ? { cls: 'grey', words: 'not configured' } : { cls: l.light, words: null };
}

/** "45 s", "3 min", "5.2 h", "2 days". */
function ageWords(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.floor(s / 86_400)} days`;
}

/** A list's version as shown: a small number given at push; none for one that is a timestamp (the default). */
function versionWords(v) {
  return v < 1e9 ? ` v${v}` : '';
}

function statusEl(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function renderStatus(st) {
  const box = document.getElementById('status-lights');
  const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.light));
  box.replaceChildren(
    ...['cameras', 'server', 'gps', 'system'].map((n) => {
      const l = st.lights[n] || { light: 'amber', words: 'not reported', parts: [] };
      const d = statusEl('details', `slight ${l.light}`);
      d.dataset.light = n;
      d.open = open.has(n);
      d.append(
        statusEl('summary', '', `${LIGHT_ICONS[l.light] || ''} ${n}: ${LIGHT_WORDS[l.light] || l.light}`),
      );
      // The parts say it all when there are any; the light's own words stand in otherwise.
      if (!l.parts.length) d.append(statusEl('p', 'slight-words', l.words));
      else {
        const ul = statusEl('ul', 'slight-parts');
        for (const p of l.parts) ul.append(statusEl('li', p.light, p.words));
        d.append(ul);
      }
      return d;
    }),
  );
  const lists = document.getElementById('status-lists');
  lists.replaceChildren(statusEl('span', 'status-label', 'Hot lists:'));
  if (!st.hotlists.length) lists.append(statusEl('span', 'hl red', ' none loaded'));
  for (const h of st.hotlists) {
    if (h.maxAgeMs === null) {
      // The officers' own list: its version is a timestamp, its age means nothing.
      const s = statusEl('span', 'hl', `${h.name}: ${h.entries} officer plate(s)`);
      s.dataset.list = h.name;
      lists.append(s);
      continue;
    }
    const limit = `, limit ${ageWords(h.maxAgeMs)}`;
    const s = statusEl(
      'span',
      `hl ${h.stale ? 'amber' : 'green'}`,
      `${h.stale ? '▲ ' : ''}${h.name}${versionWords(h.version)}: ${ageWords(h.ageMs)} old${limit}${h.stale ? ' (TOO OLD)' : ''}`,
    );
    s.dataset.list = h.name;
    lists.append(s);
  }
  const up = document.getElementById('status-upload');
  const u = st.upload;
  if (!u.configured) {
    up.className = 'status-line grey';
    up.textContent = 'Upload: server not configured (reads stay on this unit)';
  } else {
    const last =
      u.lastAckedAt === null
        ? 'nothing acknowledged yet'
        : `${new Date(u.lastAckedAt).toLocaleString()} (${ageWords(st.at - u.lastAckedAt)} ago)`;
    up.className = `status-line ${u.lastAckedAt === null && u.depth > 0 ? 'amber' : ''}`;
    up.textContent = `Last upload acknowledged by the server: ${last} · ${u.depth} waiting`;
  }
}
