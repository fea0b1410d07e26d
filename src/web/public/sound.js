// The hit alarm: Web Audio; priority decides the pattern; priority 1 repeats until acknowledged.
// Browsers start audio only after a user's tap or key, so the page says plainly while sound is off.
// A classic script sharing the page's globals with hits.js and app.js (see index.html).

let audio = null;
let alarm = null;
let repeat = null;
const REPEAT_MS = 4000;

function soundOn() {
  return !!audio && audio.state === 'running';
}

function showSoundState() {
  const on = soundOn();
  document.body.dataset.audio = on ? 'on' : 'off';
  for (const n of document.querySelectorAll('.sound-off')) n.classList.toggle('hidden', on);
}

// Browsers start audio only after a tap: any tap or key on the page (after a reload too) arms it.
// biome-ignore lint/correctness/noUnusedVariables: called from hits.js and app.js (the page's shared script scope)
function unlockAudio() {
  try {
    if (!audio && window.AudioContext) {
      audio = new AudioContext();
      audio.addEventListener('statechange', showSoundState);
    }
    if (audio && audio.state === 'suspended') audio.resume().then(showSoundState, showSoundState);
  } catch {
    /* no audio device: the page keeps saying that sound is off */
  }
  showSoundState();
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

function pattern(h, once) {
  if (h.informational || once) return [[660, 0, 0.25]];
  if (h.priority === 1) return Array.from({ length: 12 }, (_, i) => [i % 2 ? 880 : 1320, i * 0.25, 0.2]);
  if (h.priority <= 3) return Array.from({ length: 4 }, (_, i) => [1040, i * 0.4, 0.25]);
  return [[880, 0, 0.3]];
}

function play(notes) {
  if (!soundOn()) return;
  stopNotes();
  const t = audio.currentTime + 0.05;
  alarm = notes.map(([f, d, l]) => beep(f, t + d, l));
  document.body.dataset.rounds = String(Number(document.body.dataset.rounds || 0) + 1);
}

/** A new hit's alarm (a repeat sighting: one short tone). Priority 1 repeats until acknowledged. */
// biome-ignore lint/correctness/noUnusedVariables: called from hits.js and app.js (the page's shared script scope)
function sound(h, once) {
  if (once && alarm) return;
  silence();
  const notes = pattern(h, once);
  play(notes);
  if (once) return;
  document.body.dataset.sound = h.informational ? 'info' : `p${h.priority}`;
  $('silence').classList.remove('hidden');
  if (!h.informational && h.priority === 1) repeat = setInterval(() => play(notes), REPEAT_MS);
}

function stopNotes() {
  for (const o of alarm || []) {
    try {
      o.stop();
    } catch {
      /* already stopped */
    }
  }
  alarm = null;
}

function silence() {
  clearInterval(repeat);
  repeat = null;
  stopNotes();
  delete document.body.dataset.sound;
  $('silence').classList.add('hidden');
}
