/** Row shapes of the hot-list tables and their mapping to entries. */
import { foldKey } from './confusion.ts';
import { type HotlistEntry, isWildcard, type StoredEntry } from './match.ts';

export const LIST_NAME = /^[A-Z][A-Z0-9_]{1,31}$/;
export const COLS =
  'plate, raw, state, priority, case_number, xref, reason, officer_name, officer_phone, synopsis, informational, shareable, source, created, expires';
/** The columns `toParams` fills, in its order. */
export const PARAM_COLS: readonly string[] = ['folded', 'n', 'wild', ...COLS.split(', ')];

export interface Row {
  plate: string;
  raw: string;
  state: string | null;
  priority: number;
  case_number: string | null;
  xref: string | null;
  reason: string | null;
  officer_name: string | null;
  officer_phone: string | null;
  synopsis: string | null;
  informational: number;
  shareable: number;
  source: string | null;
  created: number;
  expires: number | null;
  list: string;
  version: number;
}

/** A row of the `lists` table. */
export interface ListRow {
  name: string;
  version: number;
  issued_at: number;
  applied_at: number;
  entries: number;
  source: string | null;
  tbl: string;
}

export function listInfo(r: ListRow) {
  return {
    name: r.name,
    version: r.version,
    issuedAt: r.issued_at,
    appliedAt: r.applied_at,
    entries: r.entries,
    source: r.source,
    table: r.tbl,
  };
}

export function fromRow(r: Row): StoredEntry {
  return {
    list: r.list,
    listVersion: String(r.version),
    plate: r.plate,
    raw: r.raw,
    state: r.state,
    priority: r.priority,
    caseNumber: r.case_number,
    xref: r.xref,
    reason: r.reason,
    officerName: r.officer_name,
    officerPhone: r.officer_phone,
    synopsis: r.synopsis,
    informational: r.informational === 1,
    shareable: r.shareable === 1,
    source: r.source,
    created: r.created,
    expires: r.expires,
  };
}

export function toParams(n: number, e: HotlistEntry): unknown[] {
  return [
    foldKey(e.plate),
    n,
    isWildcard(e.plate) ? 1 : 0,
    e.plate,
    e.raw,
    e.state,
    e.priority,
    e.caseNumber,
    e.xref,
    e.reason,
    e.officerName,
    e.officerPhone,
    e.synopsis,
    e.informational ? 1 : 0,
    e.shareable ? 1 : 0,
    e.source,
    e.created,
    e.expires,
  ];
}
