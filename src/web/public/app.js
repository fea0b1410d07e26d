// The officer's page: plain browser JavaScript, no build step. Talks to the unit's JSON API and
// listens to its Server-Sent Events. Text from the server only ever goes into textContent.

const $ = (id) => document.getElementById(id);
const LIGHTS = ['cameras', 'server', 'gps', 'system'];
let session = null;
let events = null;
/** Resolves once the live stream is open (openEvents). */
let eventsOpen = Promise.resolve();
let lastEvent = 0;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

async function api(path, body) {
  const opts =
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', ...opts });
  } catch {
    showOffline(true);
    throw new Error('the unit is not answering');
  }
  showOffline(false);
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== '/api/signin') {
    session = null;
    show('signin');
  }
  if (!res.ok) {
    const e = new Error([data.error || `HTTP ${res.status}`, ...(data.details || [])].join('\n'));
    e.status = res.status;
    throw e;
  }
  return data;
}

function show(name) {
  for (const s of ['signin', 'check', 'main']) $(`screen-${s}`).classList.toggle('hidden', s !== name);
  $('signout').classList.toggle('hidden', !session);
  $('who').textContent = session ? `${session.operator.name} (${session.operator.badge})` : '';
  if (name === 'signin') {
    closeZoom();
    hitReads.clear();
    closeEvents();
    pollLights();
  }
}

function showOffline(off) {
  if (off) closeZoom();
  $('offline').classList.toggle('hidden', !off);
}

function renderLights(target, lights, big) {
  const box = $(target);
  box.replaceChildren();
  for (const n of LIGHTS) {
    const l = lights[n] || { light: 'amber', reasons: ['unknown'] };
    const shown = lightShown(l);
    const d = el('div', `light ${shown.cls}`);
    d.dataset.light = n;
    d.append(el('div', 'name', `${n}: ${shown.words || l.light}`));
    if (big || l.light !== 'green') d.append(el('div', 'reasons', l.reasons.join('; ')));
    box.append(d);
  }
}

function renderMini(lights) {
  const box = $('mini-lights');
  box.replaceChildren(
    ...LIGHTS.map((n) => {
      const l = lights[n];
      const shown = l ? lightShown(l) : { cls: '', words: null };
      return el('span', `dot ${shown.cls}`, shown.words ? `${n}: ${shown.words}` : n);
    }),
  );
}

function onLights(lights) {
  renderMini(lights);
  renderLights('signin-lights', lights, false);
  renderLights('check-lights', lights, true);
  const green = LIGHTS.every((n) => lights[n] && lights[n].light === 'green');
  $('ack-green').disabled = !green;
  // a light with nothing behind it is not green to the officer: the button says what it confirms
  const grey = LIGHTS.filter((n) => lights[n] && lightShown(lights[n]).cls === 'grey');
  const notGreen = LIGHTS.filter((n) => lights[n]?.light !== 'green');
  $('ack-green').textContent = !green
    ? `Not all green (${notGreen.join(', ')}): record it below`
    : grey.length
      ? `All green (${grey.join(', ')} not configured): acknowledge`
      : 'All green: acknowledge';
  loadStatus();
}

// The main screen's status panel: refreshed on every change of the lights or the hot lists, and
// every 30 s so that ages keep counting.
let statusAsked = 0;
async function loadStatus() {
  if (!session || $('screen-main').classList.contains('hidden')) return;
  // answers may come back out of order: only the newest question's answer is shown
  const asked = ++statusAsked;
  try {
    const st = await api('/api/status');
    if (asked === statusAsked) renderStatus(st);
  } catch {
    /* the offline overlay or the sign-in screen shows it */
  }
}
setInterval(loadStatus, 30_000);

let polling = false;
function onHotlist(r) {
  const p = $('check-hotlist');
  p.className = `hotlist ${r.light}`;
  p.textContent = `Hot lists: ${r.reason}`;
  loadStatus();
}

async function pollLights() {
  if (polling) return;
  polling = true;
  while (!session) {
    try {
      onLights((await api('/api/lights')).lights);
    } catch {
      /* the offline overlay shows it */
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
  polling = false;
}

// ---- sign-in and the start-of-shift check ----
$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  unlockAudio();
  $('signin-error').textContent = '';
  try {
    await api('/api/signin', { badge: $('badge').value.trim(), pin: $('pin').value });
    $('pin').value = '';
    await enter();
  } catch (e) {
    $('signin-error').textContent = e.message;
  }
});

async function enter() {
  session = await api('/api/session');
  if (session.shiftCheck) startMain();
  else {
    show('check');
    openEvents();
  }
}

async function ack(allGreen) {
  unlockAudio();
  $('check-error').textContent = '';
  try {
    const r = await api('/api/shift-check', { allGreen, note: $('check-note').value });
    session.shiftCheck = r.shiftCheck;
    startMain();
  } catch (e) {
    $('check-error').textContent = e.message;
  }
}
$('ack-green').addEventListener('click', () => ack(true));
$('ack-notgreen').addEventListener('click', () => ack(false));
/**
 * A button that acts only on a second tap within 5 s: the first shows `armedText` (class `armed`)
 * and does nothing else, so a stray tap cannot end a shift, cancel a plate or verify a hit.
 * `keepWidth`: the armed words wrap inside the button's own width (a table's column does not
 * widen and push the row's other cells aside at 800 px).
 */
function twoTap(b, armedText, keepWidth = false) {
  const label = b.textContent;
  let timer = null;
  const disarm = () => {
    clearTimeout(timer);
    timer = null;
    b.textContent = label;
    b.classList.remove('armed');
    b.style.width = '';
  };
  const arm = () => {
    if (keepWidth) b.style.width = `${b.getBoundingClientRect().width}px`;
    b.textContent = armedText;
    b.classList.add('armed');
    timer = setTimeout(disarm, 5000);
  };
  return { armed: () => timer !== null, arm, disarm };
}

// Sign out sits apart from Silence and asks for a second tap: a stray tap must not end the shift.
const signoutTap = twoTap($('signout'), 'Tap again to sign out');
$('signout').addEventListener('click', async () => {
  // a tap just after a hit's takeover closed was meant for its Acknowledge, not for Sign out
  if (performance.now() - takeoverClosedAt < SETTLE_MS) return;
  if (!signoutTap.armed()) {
    signoutTap.arm();
    return;
  }
  signoutTap.disarm();
  try {
    await api('/api/signout', {});
  } catch {
    /* signed out locally anyway */
  }
  session = null;
  // the next officer starts blank: no badge, and nothing of the last one's searches, hot plates or
  // audit trail (what they found was audited under their badge, not the next one's)
  $('badge').value = '';
  clearOfficerViews();
  show('signin');
});

function clearOfficerViews() {
  for (const f of ['search-form', 'hp-form']) $(f)?.reset();
  for (const t of ['search-results', 'hp-mine', 'audit']) $(t).tBodies[0].replaceChildren();
  for (const p of ['search-summary', 'search-error', 'hp-result', 'audit-chain']) $(p).textContent = '';
  $('search-view').classList.add('hidden');
  $('search-images').replaceChildren();
}

async function startMain() {
  show('main');
  // The stream first, then the lists: a hit raised while the page loads arrives live or is in
  // the list (both merge into one card), never lost between the two.
  clearHits();
  await openEvents();
  loadStatus();
  const [h, r] = await Promise.all([api('/api/hits'), api('/api/reads')]);
  for (const hit of h.hits.slice().reverse()) renderHit(hit, false);
  recallUnacknowledged();
  $('reads').tBodies[0].replaceChildren();
  for (const read of r.reads.slice().reverse()) addRead(read);
}

// ---- live stream; a lost stream means a gone daemon ----
/** Opens the live stream; resolves once it is open (or after 3 s: a slow stream must not hold the page back). */
function openEvents() {
  if (events) return eventsOpen;
  events = new EventSource('/api/events');
  const opened = new Promise((resolve) => {
    events.addEventListener('open', resolve, { once: true });
    setTimeout(resolve, 3000);
  });
  eventsOpen = opened;
  lastEvent = Date.now();
  const seen = () => {
    lastEvent = Date.now();
    showOffline(false);
  };
  events.addEventListener('open', seen);
  events.addEventListener('ping', seen);
  events.addEventListener('lights', (e) => {
    seen();
    onLights(JSON.parse(e.data));
  });
  events.addEventListener('hotlist', (e) => {
    seen();
    onHotlist(JSON.parse(e.data));
  });
  events.addEventListener('read', (e) => {
    seen();
    addRead(JSON.parse(e.data));
  });
  events.addEventListener('hit', (e) => {
    seen();
    renderHit(JSON.parse(e.data), true);
  });
  events.addEventListener('hitState', (e) => {
    seen();
    renderHit(JSON.parse(e.data), false);
  });
  events.addEventListener('error', async () => {
    // Either the daemon is gone (offline) or our session ended (sign in again).
    try {
      await api('/api/session');
    } catch (err) {
      if (err.status === 401) closeEvents();
    }
  });
  return opened;
}
function closeEvents() {
  if (events) events.close();
  events = null;
}
setInterval(() => {
  if (events && Date.now() - lastEvent > 40000) showOffline(true);
}, 5000);

/**
 * Names each cell of a table's body after its column (`data-label`), for the stacked layout of
 * narrow screens (app.css: a row becomes a card, each cell under its column's name).
 */
function labelCells(table) {
  const names = [...table.tHead.rows[0].cells].map((th) => th.textContent);
  for (const row of table.tBodies[0].rows)
    for (const [i, td] of [...row.cells].entries()) td.dataset.label = names[i] || '';
}

/** Reads that raised a hit (their rows are marked). */
const hitReads = new Set();

/** A read in the recent reads, newest capture first (reads may arrive out of capture order). */
function addRead(r) {
  const tb = $('reads').tBodies[0];
  const tr = el('tr');
  tr.dataset.id = r.id;
  tr.dataset.at = String(Date.parse(r.capturedAt) || r.capturedAt);
  tr.append(
    el('td', 'plate', r.plate),
    el('td', '', `${Math.round(r.confidence * 100)}%`),
    el('td', '', r.cameraId),
    el('td', '', new Date(r.capturedAt).toLocaleTimeString()),
    el('td', 'hit-mark', hitReads.has(r.id) ? '⚠ hit' : ''),
  );
  const at = Number(tr.dataset.at);
  const after = [...tb.rows].find((row) => Number(row.dataset.at) < at);
  tb.insertBefore(tr, after || null);
  while (tb.rows.length > 30) tb.deleteRow(-1);
}

/** Marks the recent read that raised a hit. */
// biome-ignore lint/correctness/noUnusedVariables: called from hits.js (the page's shared script scope)
function markHitRead(readId) {
  hitReads.add(readId);
  for (const row of $('reads').tBodies[0].rows)
    if (row.dataset.id === readId) row.cells[4].textContent = '⚠ hit';
}

// ---- tabs, search, hot plate, audit ----
function showTab(name) {
  for (const o of document.querySelectorAll('.tab')) o.classList.toggle('active', o.dataset.tab === name);
  for (const b of document.querySelectorAll('.tab-body'))
    b.classList.toggle('hidden', b.id !== `tab-${name}`);
  if (name === 'audit') loadAudit();
  if (name === 'hotplate') loadHotPlates();
}
for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => showTab(t.dataset.tab));

const isoOf = (v) => (v ? new Date(v).toISOString() : undefined);

function placeOf() {
  const t = $('s-place').value.trim();
  if (!t) return undefined;
  const [lat, lon] = t.split(/[,\s]+/).map(Number);
  return { lat, lon, radiusM: Number($('s-radius').value) };
}

$('s-here').addEventListener('click', async () => {
  try {
    const h = await api('/api/here');
    $('s-place').value = `${h.lat.toFixed(5)}, ${h.lon.toFixed(5)}`;
  } catch (e) {
    $('search-error').textContent = e.message;
  }
});

$('search-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('search-error').textContent = '';
  try {
    const r = await api('/api/search', {
      near: placeOf(),
      plate: $('s-plate').value,
      partial: $('s-partial').checked,
      from: isoOf($('s-from').value),
      to: isoOf($('s-to').value),
      caseNumber: $('s-case').value,
      reason: $('s-reason').value,
    });
    $('search-summary').textContent =
      `${r.reads.length} read(s)${r.truncated ? ' (more: narrow the search)' : ''}; logged as audit row ${r.audit.seq}.`;
    $('search-view').classList.add('hidden');
    $('search-images').replaceChildren();
    const tb = $('search-results').tBodies[0];
    tb.replaceChildren(
      ...r.reads.map((x) => {
        const tr = el('tr');
        tr.dataset.id = x.id;
        const view = el('button', 'view', 'Images');
        view.type = 'button';
        view.addEventListener('click', () => viewImages(x, r.audit.seq));
        const cell = el('td');
        cell.append(view);
        tr.append(
          el('td', 'plate', x.plate),
          el('td', 'nowrap', new Date(x.capturedAt).toLocaleString()),
          el('td', '', x.cameraId),
          el('td', '', x.lat === null ? 'no position' : `${x.lat.toFixed(5)}, ${x.lon.toFixed(5)}`),
          el('td', 'nowrap', x.operatorId || ''),
          cell,
        );
        return tr;
      }),
    );
    labelCells($('search-results'));
    $('search-summary').scrollIntoView({ block: 'start', behavior: 'smooth' });
  } catch (e) {
    $('search-error').textContent = e.message;
  }
});

// Images of a found read: each one opened is an audit row under the search that found it.
function viewImages(read, seq) {
  $('search-view').classList.remove('hidden');
  $('search-view-note').textContent =
    `${read.plate}, ${new Date(read.capturedAt).toLocaleString()}: each image opened is logged in the audit trail under search ${seq}.`;
  const box = $('search-images');
  box.replaceChildren();
  for (const kind of ['plate', 'overview']) {
    const img = el('img');
    img.alt = `${kind} image`;
    img.src = `/api/images/${encodeURIComponent(read.id)}/${kind}?search=${seq}`;
    img.addEventListener('error', () => img.remove());
    zoomable(img);
    box.append(img);
  }
}

$('hp-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('hp-result');
  try {
    const r = await api('/api/hotplates', {
      plate: $('hp-plate').value,
      state: $('hp-state').value,
      caseNumber: $('hp-case').value,
      xref: $('hp-xref').value,
      reason: $('hp-reason').value,
      expires: isoOf($('hp-expires').value),
      inStateSystems: $('hp-instate').checked,
      officerPhone: $('hp-phone').value,
      synopsis: $('hp-synopsis').value,
    });
    out.className = 'ok';
    out.textContent = `Added ${r.added.plate} until ${new Date(r.added.expires).toLocaleString()}.`;
    // the form is empty for the next plate (a second plate must not go in under this one's case)
    $('hp-form').reset();
    loadHotPlates();
  } catch (e) {
    out.className = 'error';
    out.textContent = e.message;
  }
});

// ---- day and night: by the hour unless the officer chooses ----
const THEME = 'alpr.theme';
const THEMES = ['auto', 'day', 'night'];
const DAY_HOURS = [7, 19];

function themeChoice() {
  try {
    const t = localStorage.getItem(THEME);
    return THEMES.includes(t) ? t : 'auto';
  } catch {
    return 'auto';
  }
}

function applyTheme() {
  const choice = themeChoice();
  const hour = new Date().getHours();
  const day = choice === 'day' || (choice === 'auto' && hour >= DAY_HOURS[0] && hour < DAY_HOURS[1]);
  document.body.classList.toggle('day', day);
  document.documentElement.classList.toggle('day', day);
  $('theme').textContent = choice === 'auto' ? `Auto: ${day ? 'day' : 'night'}` : day ? 'Day' : 'Night';
}

$('theme').addEventListener('click', () => {
  try {
    localStorage.setItem(THEME, THEMES[(THEMES.indexOf(themeChoice()) + 1) % THEMES.length]);
  } catch {
    /* no storage: stays automatic */
  }
  applyTheme();
});
setInterval(applyTheme, 60_000);

// ---- boot ----
applyTheme();
initHits();
(async () => {
  try {
    await enter();
  } catch {
    show('signin');
  }
})();
