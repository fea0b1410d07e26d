/**
 * A light with nothing configured behind it (no server link, no GPS receiver) is neither working
 * nor failing: every surface shows it as such (grey "not configured" on the page, OFF in
 * `alpr status` and systemd's status line, no LED lit), never as green. Pure.
 */

/** The reason the health fold gives a light nobody is expected to report into. */
export const NOT_CONFIGURED = 'not configured';

/**
 * A light's reason with its counts taken out (`no data for 12 s` and `… 13 s` read the same): a
 * light is sent again at once when its words change, while counts alone wait for the next report.
 */
export function reasonWords(reason: string): string {
  return reason.replace(/\d+(\.\d+)?/g, '#');
}

/** Whether a light's reasons all say "<part>: not configured". */
export function isNotConfigured(reasons: readonly string[]): boolean {
  return reasons.length > 0 && reasons.every((r) => r.endsWith(`: ${NOT_CONFIGURED}`));
}

/**
 * One component's words under its light: its name, then its reason, unless the reason names it
 * already (`camera rear: no frame…` for `camera:rear`, not `camera:rear: camera rear: …`).
 */
export function partReason(r: { component: string; reason: string }): string {
  if (!r.component.includes(':')) return `${r.component}: ${r.reason}`;
  const name = r.component.replace(':', ' ').toLowerCase();
  return r.reason.toLowerCase().startsWith(`${name}:`) ? r.reason : `${r.component}: ${r.reason}`;
}
