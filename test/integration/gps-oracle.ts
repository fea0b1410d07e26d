/**
 * Compares our decoded fixes with gpsd's regression output (`.chk`: the log's sentences with the
 * JSON reports gpsd made after each one). gpsd reports a TPV after sentences, so one epoch can have
 * several TPVs; the last one with a given time is gpsd's final word on that epoch.
 *
 * Justified differences, kept narrow so the comparison can still fail:
 * - Silent epochs: gpsd reports an epoch when its cycle-ending sentence arrives. An epoch cut off
 *   by the end of the log or by a splice in it (ublox-lea-5h jumps from 08:37:36 to 08:55:15;
 *   haicom-305N sends a GGA stamped with the next second) gets no TPV at all. We report it. This
 *   is not a fix "where gpsd had none": gpsd never said no fix for that time.
 * - Garmin's PGRMF says 13 leap seconds, which switches gpsd's week-rollover correction off for
 *   the rest of garmin17n.log (its second epoch comes out in 2005). We always correct, so gpsd
 *   times before 2017 are compared one 1024-week era later.
 */
import type { Fix } from '../../src/domain/types.ts';
import { ROLLOVER_PIVOT_MS, WEEK_ROLLOVER_MS } from '../../src/gps/gps-time.ts';

export interface OracleTpv {
  mode: number;
  time?: string;
  lat?: number;
  lon?: number;
}

export function oracleTpvs(chk: string): OracleTpv[] {
  const out: OracleTpv[] = [];
  for (const line of chk.split('\n')) {
    if (!line.startsWith('{"class":"TPV"')) continue;
    const t = JSON.parse(line) as OracleTpv;
    if (t.time !== undefined && Date.parse(t.time) < ROLLOVER_PIVOT_MS) {
      t.time = new Date(Date.parse(t.time) + WEEK_ROLLOVER_MS).toISOString();
    }
    out.push(t);
  }
  return out;
}

export interface Comparison {
  /** Epochs both sides have as fixes, positions within tolerance. */
  matched: number;
  /** Our fixes for epochs gpsd never reported on (see above). */
  silent: string[];
  /** Disagreements; empty when we agree with gpsd. */
  problems: string[];
  untimed: number;
}

const near = (a: number, b: number | undefined, tol: number) => b !== undefined && Math.abs(a - b) <= tol;

export function compareWithOracle(fixes: Fix[], tpvs: OracleTpv[], tol = 1e-6): Comparison {
  const fixAt = new Map<string, OracleTpv>();
  const reported = new Set<string>();
  const untimedOracle: OracleTpv[] = [];
  for (const t of tpvs) {
    const hasFix = t.mode >= 2 && t.lat !== undefined && t.lon !== undefined;
    if (t.time !== undefined) reported.add(t.time);
    if (!hasFix) continue;
    if (t.time === undefined) untimedOracle.push(t);
    else fixAt.set(t.time, t);
  }
  const res: Comparison = { matched: 0, silent: [], problems: [], untimed: 0 };
  const ours = new Set<string>();
  for (const f of fixes) {
    if (f.time === null) {
      // Before the first date: gpsd reports these without a time too.
      res.untimed++;
      if (!untimedOracle.some((o) => near(f.lat, o.lat, tol) && near(f.lon, o.lon, tol))) {
        res.problems.push(`untimed fix ${f.lat},${f.lon}: gpsd has no such position`);
      }
      continue;
    }
    if (ours.has(f.time)) res.problems.push(`${f.time}: two fixes for one epoch`);
    ours.add(f.time);
    const o = fixAt.get(f.time);
    if (!o) {
      if (reported.has(f.time)) res.problems.push(`${f.time}: we have a fix, gpsd says no fix`);
      else res.silent.push(f.time);
    } else if (near(f.lat, o.lat, tol) && near(f.lon, o.lon, tol)) {
      res.matched++;
    } else {
      res.problems.push(`${f.time}: position ${f.lat},${f.lon} vs gpsd ${o.lat},${o.lon}`);
    }
  }
  for (const t of fixAt.keys()) if (!ours.has(t)) res.problems.push(`${t}: gpsd has a fix, we have none`);
  return res;
}
