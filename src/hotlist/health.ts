/** Hot-list freshness → health light (policy rule 5). Pure. */
import type { HealthReport, Light } from '../domain/types.ts';
import { isSpecialList } from './csv.ts';
import { OFFICER_LIST } from './officer.ts';

export const STATE_MAX_AGE_MS = 12 * 3600_000;
export const SPECIAL_MAX_AGE_MS = 24 * 3600_000;

export type ListKind = 'state' | 'special' | 'local';

export function listKind(name: string): ListKind {
  if (name === OFFICER_LIST) return 'local';
  return isSpecialList(name) ? 'special' : 'state';
}

/**
 * Red when no state or special list is loaded; amber when a state list was issued more than
 * 12 h ago or a special list more than 24 h ago, or a list file given at start was refused
 * (`refused`: why, one per file); green otherwise.
 */
export function hotlistHealth(
  lists: readonly { name: string; issuedAt: number }[],
  now: number,
  refused: readonly string[] = [],
): HealthReport {
  const pushed = lists.filter((l) => listKind(l.name) !== 'local');
  const report = (light: Light, reason: string): HealthReport => ({
    component: 'hotlist',
    light,
    reason,
    at: now,
  });
  if (pushed.length === 0) return report('red', ['no hot list loaded', ...refused].join('; '));
  const stale: string[] = [...refused];
  for (const l of pushed) {
    const max = listKind(l.name) === 'special' ? SPECIAL_MAX_AGE_MS : STATE_MAX_AGE_MS;
    const age = now - l.issuedAt;
    if (age > max)
      stale.push(`${l.name} is ${(age / 3600_000).toFixed(1)} h old (at most ${max / 3600_000} h)`);
  }
  if (stale.length > 0) return report('amber', stale.join('; '));
  return report('green', `${pushed.length} list(s) current`);
}
