import type { Hit, Read, ReadPosition } from '../domain/types.ts';

import { VERIFY_BANNER } from '../domain/policy.ts';
import { printable } from '../domain/text.ts';

/** Policy rule 4: shown with every hit, everywhere a hit is shown (the text lives in src/domain). */
export { VERIFY_BANNER };

function where(p: ReadPosition): string {
  if (p.lat === null) return `position unknown (${p.reason})`;
  const age = (p.fixAgeMs / 1000).toFixed(1);
  return `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} (fix ${age} s old${p.deadReckoned ? ', dead-reckoned' : ''})`;
}

function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** After a capture time the unit's clock got wrong: by how much, and the time by GPS. */
function clockNote(iso: string, offsetMs: number | undefined): string {
  if (offsetMs === undefined) return '';
  const s = Math.round(Math.abs(offsetMs) / 1000);
  const gps = new Date(Date.parse(iso) + offsetMs).toISOString();
  return ` [unit clock ${s} s ${offsetMs > 0 ? 'behind' : 'ahead of'} GPS: ${time(gps)} by GPS]`;
}

/** One line for the operator's terminal per read (with the state read on the plate, when one was). */
export function formatRead(r: Read): string {
  const alts = r.candidates
    .slice(1, 4)
    .map((c) => c.text)
    .join(' ');
  const state = r.state ? ` ${r.state.code}` : '';
  return `READ  ${r.plate.padEnd(8)} ${(r.confidence * 100).toFixed(0).padStart(3)}%${state}  cam ${r.cameraId}  ${time(r.capturedAt)}${clockNote(r.capturedAt, r.clockOffsetMs)}  ${where(r.position)}${alts ? `  alt: ${alts}` : ''}`;
}

/** The block shown for a hit: list, case, reason, look-alike marks, place, direction and the banner. */
export function formatHit(h: Hit): string {
  const m = h.match;
  const level = m.level === 'possible' ? 'POSSIBLE ≈ ' : m.level === 'confirmed' ? 'CONFIRMED ' : '';
  const kind = m.informational
    ? 'INFORMATIONAL (special list, this agency only)'
    : `${level}HIT  priority ${m.priority}`;
  const likely = m.probability === undefined ? '' : `  ${Math.round(m.probability * 100)}% likely`;
  const state = h.readState
    ? `  state read ${h.readState.code} (${Math.round(h.readState.confidence * 100)}%)${m.state && m.state !== h.readState.code ? `, entry ${m.state}` : ''}`
    : '';
  const marks =
    m.approximate && m.substitutions.length
      ? `  look-alike match: read ${markPositions(h.plate, m.substitutions)} vs entry ${m.entryPlate}`
      : m.approximate
        ? `  approximate match: entry ${m.entryPlate}`
        : '';
  // the entry's fields are free text from a list or an officer's form: printed, never obeyed
  const lines = [
    `*** ${kind}  ${h.plate}  list ${printable(m.list)}${m.state ? ` (${printable(m.state)})` : ''}${h.late ? '  [late: list updated]' : ''}`,
    `    case ${printable(m.caseNumber ?? '-')}  reason ${printable(m.reason ?? '-')}${marks}${likely}${state}`,
    `    cam ${h.cameraId}  ${time(h.capturedAt)}${clockNote(h.capturedAt, h.clockOffsetMs)}  ${where(h.position)}  travelling ${h.direction ?? 'unknown'}`,
    `    ${VERIFY_BANNER}`,
  ];
  return lines.join('\n');
}

/** `7AB[C]123`: brackets around the characters that differ from the entry. */
export function markPositions(text: string, positions: readonly number[]): string {
  const set = new Set(positions);
  return [...text].map((ch, i) => (set.has(i) ? `[${ch}]` : ch)).join('');
}
