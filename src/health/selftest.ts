/**
 * The self-test report a technician keeps (pure: the checks themselves run in `alpr selftest`).
 * Each check passes, warns or fails with a plain reason; the unit passes when nothing fails. The
 * report's light is green (all pass), amber (passed with warnings: keys not sealed to a TPM, a low
 * disk…) or red (a check failed).
 */
import type { Light } from '../domain/types.ts';
import type { Verdict } from './checks.ts';

export type CheckResult = 'pass' | 'warn' | 'fail';

export interface SelftestCheck {
  name: string;
  result: CheckResult;
  detail: string;
  /** How long the check took. */
  ms?: number;
}

export interface SelftestReport {
  unit: string | null;
  at: string;
  versions: Record<string, string>;
  checks: SelftestCheck[];
  passed: boolean;
  /** green: every check passed; amber: passed with warnings; red: a check failed. */
  light: Light;
}

const FROM_LIGHT: Record<Light, CheckResult> = { green: 'pass', amber: 'warn', red: 'fail' };

/** A health verdict as a self-test check. */
export function checkFromVerdict(name: string, v: Verdict): SelftestCheck {
  return { name, result: FROM_LIGHT[v.light], detail: v.reason };
}

/**
 * The model check: it must read the reference image within the time budget, and read the expected
 * plate when one is known.
 */
export function modelCheck(
  ms: number,
  budgetMs: number,
  plates: readonly string[],
  expected: string | null,
): SelftestCheck {
  const took = `${Math.round(ms)} ms (budget ${budgetMs} ms)`;
  const read = plates.length
    ? `read ${plates.length === 1 ? 'a plate' : `${plates.length} plates`}`
    : 'no plate read';
  if (expected !== null && !plates.includes(expected)) {
    return { name: 'model', result: 'fail', detail: `reference plate not read (${read}) in ${took}`, ms };
  }
  if (ms > budgetMs) return { name: 'model', result: 'fail', detail: `too slow: ${took}`, ms };
  return { name: 'model', result: 'pass', detail: `${read} in ${took}`, ms };
}

/**
 * Whether the keys that protect the card are sealed to the TPM (`warnings` from
 * keySealingWarnings): a unit provisioned `--no-tpm` passes, amber, with the reason.
 */
export function keysCheck(warnings: readonly string[]): SelftestCheck {
  return warnings.length > 0
    ? { name: 'keys', result: 'warn', detail: warnings.join(' ') }
    : { name: 'keys', result: 'pass', detail: "store key and TLS key sealed to this unit's TPM" };
}

/** First frame per camera within the timeout. */
export function cameraChecks(
  ids: readonly string[],
  firstFrameMs: ReadonlyMap<string, number>,
  timeoutS: number,
): SelftestCheck[] {
  return ids.map((id) => {
    const ms = firstFrameMs.get(id);
    return ms === undefined
      ? { name: `camera ${id}`, result: 'fail', detail: `no frame within ${timeoutS} s` }
      : { name: `camera ${id}`, result: 'pass', detail: `first frame after ${Math.round(ms)} ms`, ms };
  });
}

export function buildReport(
  unit: string | null,
  at: number,
  versions: Record<string, string>,
  checks: SelftestCheck[],
): SelftestReport {
  return {
    unit,
    at: new Date(at).toISOString(),
    versions,
    checks,
    passed: checks.every((c) => c.result !== 'fail'),
    light: checks.some((c) => c.result === 'fail')
      ? 'red'
      : checks.some((c) => c.result === 'warn')
        ? 'amber'
        : 'green',
  };
}

/** The printed report. */
export function formatReport(r: SelftestReport): string {
  const w = Math.max(...r.checks.map((c) => c.name.length), 6);
  const lines = [
    `ALPR unit self-test${r.unit ? ` — unit ${r.unit}` : ''}`,
    `at ${r.at}`,
    ...Object.entries(r.versions).map(([k, v]) => `${k}: ${v}`),
    '',
    ...r.checks.map((c) => `${c.result.toUpperCase().padEnd(4)}  ${c.name.padEnd(w)}  ${c.detail}`),
    '',
    resultLine(r),
  ];
  return `${lines.join('\n')}\n`;
}

function resultLine(r: SelftestReport): string {
  const n = (result: CheckResult) => r.checks.filter((c) => c.result === result).length;
  if (!r.passed) return `RESULT: FAIL (${n('fail')} failed)`;
  const warns = n('warn');
  return warns === 0 ? 'RESULT: PASS' : `RESULT: PASS, AMBER (${warns} warning${warns === 1 ? '' : 's'})`;
}
