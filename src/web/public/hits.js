// Hits on the officer's page: the card (banner, marks, images, actions) and the alert sound.
// A classic script sharing the page's globals with app.js (loaded first; see index.html).

// ---- hits ----
function plateWithMarks(plate, subs) {
  const span = el('span', 'plate');
  for (const [i, c] of [...plate].entries()) {
    span.append(subs.includes(i) ? el('span', 'sub', c) : document.createTextNode(c));
  }
  return span;
}

function where(p) {
  if (p.lat === null) return `unknown (${p.reason})`;
  return `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} (fix ${(p.fixAgeMs / 1000).toFixed(0)} s old)`;
}

// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function renderHit(h, fresh) {
  $('no-hits').classList.add('hidden');
  const existing = document.querySelector(`.hit[data-id="${CSS.escape(h.id)}"]`);
  const node = $('hit-template').content.firstElementChild.cloneNode(true);
  node.dataset.id = h.id;
  node.classList.toggle('informational', h.informational);
  node.classList.toggle('p1', !h.informational && h.priority === 1 && fresh);
  node.classList.toggle('done', h.handling.state === 'rejected' || h.handling.state === 'verified');
  node.querySelector('.banner').textContent = h.banner;
  node.querySelector('.plate').replaceWith(plateWithMarks(h.plate, h.approximate ? h.substitutions : []));
  const level = h.level === 'possible' ? 'POSSIBLE ≈ ' : h.level === 'confirmed' ? 'CONFIRMED ' : '';
  node.querySelector('.kind').textContent = h.informational
    ? 'INFORMATIONAL (special list)'
    : `${level}HIT priority ${h.priority}`;
  const st = h.handling;
  node.querySelector('.handling').textContent =
    st.state === 'new'
      ? 'NEW'
      : `${st.state.toUpperCase()}${st.reason ? `: ${st.reason}` : ''} (${st.by || ''})`;
  const facts = node.querySelector('.facts');
  const fact = (k, v) => facts.append(el('dt', '', k), el('dd', '', v));
  fact('List', `${h.list}${h.state ? ` (${h.state})` : ''}${h.late ? ' — list updated after the read' : ''}`);
  fact('Case', h.caseNumber || '—');
  fact('Reason', h.reason || '—');
  const pct = h.probability == null ? '' : `, ${Math.round(h.probability * 100)}% likely`;
  if (h.level === 'possible')
    fact(
      'Match',
      `POSSIBLE ≈: read ${h.plate} vs entry ${h.entryPlate}${pct} (differing characters underlined)`,
    );
  else if (h.approximate)
    fact('Match', `APPROXIMATE: read ${h.plate} vs entry ${h.entryPlate} (look-alike characters underlined)`);
  else if (h.level === 'confirmed') fact('Match', `exact: ${h.entryPlate}${pct}`);
  if (h.readState)
    fact(
      'State read',
      `${h.readState.code} (${Math.round(h.readState.confidence * 100)}%)${h.state && h.state !== h.readState.code ? ` — entry is ${h.state}` : ''}`,
    );
  fact('Where', where(h.position));
  fact('Direction', h.direction || 'unknown');
  fact('Time', `${new Date(h.capturedAt).toLocaleTimeString()} · camera ${h.cameraId}`);
  const imgs = node.querySelector('.images');
  for (const kind of ['plate', 'overview']) {
    const img = el('img');
    img.alt = `${kind} image`;
    img.src = `/api/images/${encodeURIComponent(h.readId)}/${kind}`;
    img.addEventListener('error', () => img.remove());
    imgs.append(img);
  }
  const sel = node.querySelector('.reject-reason');
  sel.append(el('option', '', 'Reject reason…'));
  sel.firstChild.value = '';
  for (const [k, v] of Object.entries(session ? session.rejectReasons : {})) {
    const o = el('option', '', v);
    o.value = k;
    sel.append(o);
  }
  const actions = node.querySelector('.actions');
  if (st.state === 'rejected') actions.classList.add('hidden');
  for (const b of actions.querySelectorAll('button')) {
    b.addEventListener('click', async () => {
      const body = { type: b.dataset.act, note: node.querySelector('.note').value };
      if (body.type === 'reject') body.reason = sel.value;
      try {
        const r = await api(`/api/hits/${encodeURIComponent(h.id)}/action`, body);
        renderHit(r.hit, false);
      } catch (e) {
        node.querySelector('.hit-error').textContent = e.message;
      }
    });
  }
  if (existing) existing.replaceWith(node);
  else $('hits').prepend(node);
  if (fresh) sound(h);
}

// ---- sound: Web Audio; priority decides the pattern; the officer can silence it ----
let audio = null;
let alarm = null;

// biome-ignore lint/correctness/noUnusedVariables: called from app.js (the page's shared script scope)
function unlockAudio() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  if (audio && audio.state === 'suspended') audio.resume();
}

function beep(freq, at, dur) {
  const o = audio.createOscillator();
  const g = audio.createGain();
  o.frequency.value = freq;
  o.type = 'square';
  g.gain.setValueAtTime(0.0001, at);
  g.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
  g.gain.exponentialRampToValueAtTime(0.0001, at + dur);
  o.connect(g).connect(audio.destination);
  o.start(at);
  o.stop(at + dur + 0.02);
  return o;
}

function sound(h) {
  if (!audio) return;
  silence();
  const t = audio.currentTime + 0.05;
  const pattern = h.informational
    ? [[660, 0, 0.25]]
    : h.priority === 1
      ? Array.from({ length: 12 }, (_, i) => [i % 2 ? 880 : 1320, i * 0.25, 0.2])
      : h.priority <= 3
        ? Array.from({ length: 4 }, (_, i) => [1040, i * 0.4, 0.25])
        : [[880, 0, 0.3]];
  alarm = pattern.map(([f, d, l]) => beep(f, t + d, l));
  document.body.dataset.sound = h.informational ? 'info' : `p${h.priority}`;
  $('silence').classList.remove('hidden');
}

function silence() {
  for (const o of alarm || []) {
    try {
      o.stop();
    } catch {
      /* already stopped */
    }
  }
  alarm = null;
  delete document.body.dataset.sound;
  $('silence').classList.add('hidden');
}
