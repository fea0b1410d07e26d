// Hits on the officer's page: one card per vehicle and entry, sorted by urgency; a new hit takes
// over the screen until acknowledged; the card's outcomes are one tap each.
// A classic script sharing the page's globals with app.js (loaded first; see index.html).

// ---- cards: one per vehicle (the plate read) and entry; late hits apart, as history ----
const groups = new Map();

const groupKey = (h) => [h.late ? 'late' : 'live', h.list, h.entryPlate, h.plate].join('|');

function members(g) {
  return [...g.hits.values()].sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt));
}

/** The sighting the officer decided on last (its state is the card's), else the newest one. */
function decided(list) {
  const acted = list.filter((h) => h.handling.state !== 'new');
  return acted.length ? acted.at(-1) : list.at(-1);
}

const LEVEL_RANK = { confirmed: 0, possible: 2 };

/** Informational last; then confirmed before possible, priority 1 first, the latest sighting first. */
function urgency(g) {
  const h = g.latest;
  return [h.informational ? 1 : 0, LEVEL_RANK[h.level] ?? 1, h.priority, -Date.parse(h.capturedAt)];
}

function before(a, b) {
  const x = urgency(a);
  const y = urgency(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function sortCards() {
  for (const box of [$('hits'), $('hits-history')]) {
    const cards = [...box.querySelectorAll(':scope > .hit')];
    cards.sort((a, b) => before(groups.get(a.dataset.key), groups.get(b.dataset.key)));
    box.append(...cards);
  }
  const late = $('hits-history').querySelectorAll('.hit').length;
  $('history').classList.toggle('hidden', late === 0);
  $('history-count').textContent = String(late);
}

function cardOf(key) {
  return document.querySelector(`.hit[data-key="${CSS.escape(key)}"]`);
}

// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function clearHits() {
  groups.clear();
  queue.length = 0;
  for (const n of document.querySelectorAll('.hit')) n.remove();
  showTakeover();
}

function renderHit(h, fresh) {
  markHitRead(h.readId);
  $('no-hits').classList.add('hidden');
  const key = groupKey(h);
  let g = groups.get(key);
  const firstSighting = !g;
  if (!g) {
    g = { key, hits: new Map() };
    groups.set(key, g);
  }
  const repeat = !g.hits.has(h.id) && !firstSighting;
  g.hits.set(h.id, h);
  const list = members(g);
  g.latest = list.at(-1);
  g.decided = decided(list);
  const existing = cardOf(key);
  const node = drawCard(g, list, existing);
  if (existing) existing.replaceWith(node);
  else (h.late ? $('hits-history') : $('hits')).append(node);
  sortCards();
  // Decided on (here or on another screen): that is acknowledging it.
  if (g.decided.handling.state !== 'new' && queue.includes(key)) acknowledge(key);
  if (!fresh || h.late) return;
  if (firstSighting) alertFor(g);
  else if (repeat && g.decided.handling.state !== 'rejected') sound(h, true);
}

// ---- the card ----
function plateWithMarks(plate, marks, cls) {
  const span = el('span', cls);
  for (const [i, c] of [...plate].entries())
    span.append(marks.includes(i) ? el('mark', 'diff', c) : document.createTextNode(c));
  return span;
}

/** Positions where the read and the entry differ: by position when the lengths agree, else the
 * look-alike positions the matcher reported. */
function differing(read, entry, subs) {
  if (read.length !== entry.length) return subs.filter((i) => i < read.length);
  return [...read].flatMap((c, i) => (c === entry[i] ? [] : [i]));
}

function where(p) {
  if (p.lat === null) return `unknown (${p.reason})`;
  return `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} (fix ${(p.fixAgeMs / 1000).toFixed(0)} s old)`;
}

const timeOf = (iso) => new Date(iso).toLocaleTimeString();

function levelWords(h) {
  const prio = `priority ${h.priority}`;
  if (h.informational)
    return { cls: 'level-info', icon: 'ℹ', kind: 'INFORMATIONAL (special list, this agency only)', prio: '' };
  if (h.level === 'possible') return { cls: 'level-possible', icon: '≈', kind: 'POSSIBLE ≈ HIT', prio };
  if (h.level === 'confirmed') return { cls: 'level-confirmed', icon: '⚠', kind: 'CONFIRMED HIT', prio };
  return { cls: 'level-confirmed', icon: '⚠', kind: 'HIT', prio };
}

// The state and national lists by their codes (the agency's order names them), in words and an icon
// (glyphs the car's fonts have: no colour emoji there).
const CATEGORIES = {
  SVS: ['◆', 'Stolen vehicle', 'cat-vehicle'],
  SLR: ['▬', 'Stolen plate', 'cat-plate'],
  SRV: ['▬', 'Stolen plate', 'cat-plate'],
  SFR: ['✖', 'Felony vehicle', 'cat-felony'],
  MUPS: ['☺', 'Missing person', 'cat-missing'],
};

function category(h) {
  if (h.informational) return ['ℹ', 'Special list: informational only', 'cat-info'];
  return CATEGORIES[h.list] || ['•', `List ${h.list}`, 'cat-other'];
}

function handlingWords(st) {
  if (st.state === 'new') return 'NEW: decide';
  const reason = st.reason ? `: ${session?.rejectReasons?.[st.reason] || st.reason}` : '';
  const what = { requested: 'DISPATCH REQUESTED', verified: '✔ VERIFIED BY DISPATCH', rejected: 'REJECTED' };
  return `${what[st.state] || st.state.toUpperCase()}${reason} (${st.by || ''})`;
}

/**
 * `was`: the card this one replaces (a new sighting, a decision elsewhere). In the same state its
 * note being typed, an armed button and the buttons' time on screen carry over: a redraw must not
 * wipe what the officer is writing, disarm what they armed, or drop their next tap.
 */
function drawCard(g, list, was) {
  const h = g.latest;
  const d = g.decided;
  const st = d.handling;
  const node = $('hit-template').content.firstElementChild.cloneNode(true);
  const lv = levelWords(h);
  node.dataset.key = g.key;
  node.dataset.id = h.id;
  node.dataset.state = st.state;
  node.classList.add(lv.cls, `prio-${Math.min(h.priority, 5)}`, `state-${st.state}`);
  node.classList.toggle('informational', h.informational);
  node.querySelector('.banner').textContent = h.banner;
  node.querySelector('.level-icon').textContent = lv.icon;
  // the priority kept whole on one line, framed for priority 1 (not underlined: that reads as a link)
  const kind = node.querySelector('.kind');
  kind.replaceChildren(lv.prio ? `${lv.kind} ` : lv.kind);
  if (lv.prio) kind.append(el('span', 'prio', lv.prio));
  const [catIcon, catWords, catCls] = category(h);
  const cat = node.querySelector('.category');
  // the entry's reason, after the list's words unless it already starts with them
  const repeats = h.reason?.toLowerCase().startsWith(catWords.toLowerCase());
  cat.textContent = `${catIcon} ${repeats ? h.reason : `${catWords}${h.reason ? `: ${h.reason}` : ''}`}`;
  cat.classList.add(catCls);
  node.querySelector('.handling').textContent = handlingWords(st);
  const marks =
    h.level === 'possible' || h.approximate ? differing(h.plate, h.entryPlate, h.substitutions) : [];
  node.querySelector('.plate').replaceWith(plateWithMarks(h.plate, marks, 'plate'));
  const cmp = node.querySelector('.compare');
  if (h.level === 'possible' || h.approximate) {
    const entryMarks = differing(h.entryPlate, h.plate, h.substitutions);
    cmp.append(
      el('span', 'cmp-label', 'read'),
      plateWithMarks(h.plate, marks, 'cmp-plate'),
      el('span', 'cmp-label', 'entry'),
      plateWithMarks(h.entryPlate, entryMarks, 'cmp-plate'),
    );
    const pct = h.probability == null ? '' : `${Math.round(h.probability * 100)}% likely`;
    cmp.append(el('span', 'cmp-note', [pct, 'differences marked'].filter(Boolean).join(' · ')));
  } else cmp.remove();
  const seen = node.querySelector('.seen');
  seen.querySelector('.count').textContent = String(list.length);
  seen.querySelector('.seen-words').textContent =
    list.length > 1
      ? `sightings · first ${timeOf(list[0].capturedAt)} · last ${timeOf(h.capturedAt)}`
      : `sighting · ${timeOf(h.capturedAt)}`;
  const facts = node.querySelector('.facts');
  const fact = (k, v) => facts.append(el('dt', '', k), el('dd', '', v));
  fact('List', `${h.list}${h.state ? ` (${h.state})` : ''} · case ${h.caseNumber || '—'}`);
  if (h.late) fact('Late', 'the list was updated after this read');
  if (h.level === 'confirmed' && h.probability != null)
    fact('Match', `exact ${h.entryPlate}, ${Math.round(h.probability * 100)}% likely`);
  if (h.readState)
    fact(
      'State read',
      `${h.readState.code} (${Math.round(h.readState.confidence * 100)}%)${h.state && h.state !== h.readState.code ? ` — entry is ${h.state}` : ''}`,
    );
  fact('Where', `${where(h.position)} · ${h.direction || 'direction unknown'} · camera ${h.cameraId}`);
  if (st.note) fact('Note', st.note);
  const imgs = node.querySelector('.images');
  for (const kind of ['plate', 'overview']) {
    const img = el('img');
    img.alt = `${kind} image`;
    img.src = `/api/images/${encodeURIComponent(h.readId)}/${kind}`;
    img.addEventListener('error', () => img.remove());
    zoomable(img);
    imgs.append(img);
  }
  const same = was && was.dataset.state === st.state;
  if (same) node.querySelector('.note').value = was.querySelector('.note')?.value || '';
  drawActions(node, g, d, same ? was : null);
  return node;
}

// Taps this soon after the buttons were drawn are not taken: the redraw after one outcome puts
// another button under the same finger, and a double tap must not record the second.
const SETTLE_MS = 700;
// "Dispatch verified" records what a stop may follow: it asks for a second tap (twoTap, app.js),
// as sign out does.

function drawActions(node, g, d, was) {
  const actions = node.querySelector('.actions');
  const keys = session?.outcomesByState?.[d.handling.state] || [];
  if (!keys.length) actions.classList.add('hidden');
  // the buttons' first moment on screen: kept from the card this one redraws in the same state
  const drawnAt = was?._drawnAt ?? performance.now();
  node._drawnAt = drawnAt;
  // (tests wait for this mark before they tap)
  setTimeout(
    () => {
      actions.dataset.ready = '1';
    },
    Math.max(0, SETTLE_MS - (performance.now() - drawnAt)),
  );
  const armedBefore = was?.querySelector('.actions button.armed')?.dataset.outcome;
  for (const k of keys) {
    const o = session.outcomes[k];
    const b = el('button', `outcome ${o.type}`, o.label);
    b.type = 'button';
    b.dataset.outcome = k;
    const tap = twoTap(b, `Tap again: ${o.label.toLowerCase()}`);
    if (k === armedBefore) tap.arm();
    b.addEventListener('click', async () => {
      if (performance.now() - drawnAt < SETTLE_MS) return;
      if (o.type === 'verify' && !tap.armed()) {
        tap.arm();
        return;
      }
      tap.disarm();
      const body = { type: o.type, note: node.querySelector('.note').value };
      if (o.reason) body.reason = o.reason;
      try {
        const r = await api(`/api/hits/${encodeURIComponent(d.id)}/action`, body);
        acknowledge(g.key);
        renderHit(r.hit, false);
      } catch (e) {
        node.querySelector('.hit-error').textContent = e.message;
      }
    });
    actions.append(b);
  }
  if (!keys.length) node.querySelector('.note').classList.add('hidden');
}

// ---- the takeover: new hits cover every tab until acknowledged, most urgent first ----
const queue = [];
// What was acknowledged is remembered by this browser, so that a reload brings back only the rest.
const ACKED = 'alpr.acknowledged';
const RECALL_MS = 30 * 60_000;

function acked() {
  try {
    return new Set(JSON.parse(localStorage.getItem(ACKED) || '[]'));
  } catch {
    return new Set();
  }
}

function remember(key) {
  const keys = [...acked(), key].slice(-500);
  try {
    localStorage.setItem(ACKED, JSON.stringify([...new Set(keys)]));
  } catch {
    /* storage full or off: a reload may show it again, which is the safe side */
  }
}

/** After a reload: hits of the last half hour that nobody acknowledged or decided take over again. */
// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function recallUnacknowledged() {
  const done = acked();
  const since = Date.now() - RECALL_MS;
  for (const g of groups.values()) {
    const h = g.latest;
    if (h.late || done.has(g.key) || g.decided.handling.state !== 'new') continue;
    if (Date.parse(h.capturedAt) < since || queue.includes(g.key)) continue;
    queue.push(g.key);
  }
  showTakeover();
  if (queue.length) sound(groups.get(queue[0]).latest, false);
}

function alertFor(g) {
  if (!queue.includes(g.key)) queue.push(g.key);
  showTakeover();
  sound(g.latest, false);
}

/** When the takeover last closed: what lay under its Acknowledge must not take the next taps. */
// biome-ignore lint/correctness/noUnusedVariables: read by app.js (the page's shared script scope)
let takeoverClosedAt = -Infinity;

function showTakeover() {
  const slot = $('takeover-slot');
  const held = slot.querySelector('.hit');
  queue.sort((a, b) => before(groups.get(a), groups.get(b)));
  const key = queue[0];
  if (held && held.dataset.key !== key) {
    $('hits').append(held);
    sortCards();
  }
  const box = $('takeover');
  const wasShown = !box.classList.contains('hidden');
  if (key) closeZoom();
  document.body.classList.toggle('taken-over', !!key);
  box.classList.toggle('hidden', !key);
  // What the takeover covers can be neither tapped nor reached by Tab, nor read out behind it.
  for (const id of ['bar', 'screen-signin', 'screen-check', 'screen-main']) $(id).inert = !!key;
  if (!key) {
    $('takeover-say').textContent = '';
    if (wasShown) takeoverClosedAt = performance.now();
    return;
  }
  const card = cardOf(key);
  const changed = card && card.parentElement !== slot;
  if (changed) slot.replaceChildren(card);
  $('takeover-more').textContent =
    queue.length > 1 ? `+${queue.length - 1} more new hit(s) after this one` : '';
  if (changed) $('takeover-say').textContent = spoken(card);
  // The dialog itself takes focus, not its Acknowledge button: an Enter meant for a form field
  // must not acknowledge a hit the officer has not seen.
  if (!wasShown) box.focus();
}

/** The hit in one sentence for a screen reader (the plate spelled out, glyph by glyph). */
function spoken(card) {
  const text = (sel) => card.querySelector(sel)?.textContent || '';
  const plate = [...text('.plate')].join(' ');
  return `New hit. ${text('.kind')}. Plate ${plate}. ${text('.category')}. ${text('.banner')}`;
}

function acknowledge(key) {
  const i = queue.indexOf(key);
  if (i < 0) return;
  queue.splice(i, 1);
  remember(key);
  silence();
  showTakeover();
  if (!queue.length) {
    showTab('live');
    cardOf(key)?.scrollIntoView({ block: 'start' });
  }
}

function acknowledgeShown() {
  const card = $('takeover-slot').querySelector('.hit');
  if (card) acknowledge(card.dataset.key);
}

// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function initHits() {
  $('ack').addEventListener('click', acknowledgeShown);
  $('silence').addEventListener('click', silence);
  // The events a browser counts as a user's activation (a touch counts at its end, not its start).
  for (const ev of ['pointerdown', 'pointerup', 'touchend', 'click', 'keydown'])
    document.addEventListener(ev, unlockAudio, { capture: true });
  // A kiosk may allow sound without a tap; otherwise the page says that sound is off.
  unlockAudio();
}

/**
 * A tap on an image shows it on the whole screen (a thumbnail is too small to compare a vehicle);
 * a tap, Escape or Close puts it away. The same URL: an image of a found read is audited once per
 * search, however often it is opened.
 */
let closeZoom = () => {};

function zoomable(img) {
  img.addEventListener('click', () => {
    closeZoom();
    const back = document.activeElement;
    const box = el('div');
    box.id = 'zoom';
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-label', img.alt);
    const big = el('img');
    big.alt = img.alt;
    big.src = img.src;
    const close = el('button', 'zoom-close', 'Close');
    close.type = 'button';
    const done = (refocus = true) => {
      box.remove();
      document.removeEventListener('keydown', onKey);
      closeZoom = () => {};
      if (refocus) back?.focus?.();
    };
    // a new hit, the offline sign or the sign-in screen closes it: nothing may sit over them
    closeZoom = () => done(false);
    const onKey = (e) => {
      if (e.key === 'Escape') done();
    };
    box.addEventListener('click', () => done());
    document.addEventListener('keydown', onKey);
    box.append(big, close);
    document.body.append(box);
    close.focus();
  });
}
