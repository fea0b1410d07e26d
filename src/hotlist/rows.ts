/**
 * Row shapes of the hot-list tables and their mapping to entries. Every personal field (plate,
 * raw text, state, case number, XREF, reason, officer's name and phone, synopsis) is sealed in one
 * AES-256-GCM blob per row (`sealed`, bound to its list and row number); the plate is found by
 * keyed tags (`ftag` of its look-alike fold key, `ptag` of the plate), never by its text. What a
 * stolen card shows: how many entries each list has, their priorities, flags and expiry times.
 */
import type { Sealer } from '../domain/seal.ts';
import { foldKey } from './confusion.ts';
import { type HotlistEntry, isWildcard, type StoredEntry } from './match.ts';

export const LIST_NAME = /^[A-Z][A-Z0-9_]{1,31}$/;
/** Columns selected to rebuild an entry (the list name and version are added per table). */
export const COLS = 'n, priority, informational, shareable, source, created, expires, sealed';
/** The columns `RowCodec.params` fills, in its order. */
export const PARAM_COLS: readonly string[] = [
  'ftag',
  'n',
  'wild',
  'ptag',
  'priority',
  'informational',
  'shareable',
  'source',
  'created',
  'expires',
  'sealed',
];

export interface Row {
  n: number;
  priority: number;
  informational: number;
  shareable: number;
  source: string | null;
  created: number;
  expires: number | null;
  sealed: Buffer;
  list: string;
  version: number;
}

/** The sealed part of an entry, in this order. */
type SealedFields = [
  plate: string,
  raw: string,
  state: string | null,
  caseNumber: string | null,
  xref: string | null,
  reason: string | null,
  officerName: string | null,
  officerPhone: string | null,
  synopsis: string | null,
];

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

/** Seals and opens rows with the hot-list key (the store key's `hotlist` sub-keys). */
export class RowCodec {
  constructor(private readonly sealer: Sealer) {}

  /** Tag of a look-alike fold key (the `ftag` column). */
  foldTag(folded: string): Buffer {
    return this.sealer.lookupTag(`F${folded}`);
  }

  /** Tag of a plate as listed (the `ptag` column). */
  plateTag(plate: string): Buffer {
    return this.sealer.lookupTag(`P${plate}`);
  }

  private aad(list: string, n: number): string {
    return `hotlist/${list}/${n}`;
  }

  params(n: number, e: HotlistEntry): unknown[] {
    const fields: SealedFields = [
      e.plate,
      e.raw,
      e.state,
      e.caseNumber,
      e.xref,
      e.reason,
      e.officerName,
      e.officerPhone,
      e.synopsis,
    ];
    return [
      this.foldTag(foldKey(e.plate)),
      n,
      isWildcard(e.plate) ? 1 : 0,
      this.plateTag(e.plate),
      e.priority,
      e.informational ? 1 : 0,
      e.shareable ? 1 : 0,
      e.source,
      e.created,
      e.expires,
      this.sealer.seal(Buffer.from(JSON.stringify(fields), 'utf8'), this.aad(e.list, n)),
    ];
  }

  /** The plate of a sealed row (plate index rebuilds). */
  plateOf(list: string, n: number, sealed: Buffer): string {
    return this.fields(list, n, sealed)[0];
  }

  private fields(list: string, n: number, sealed: Buffer): SealedFields {
    return JSON.parse(this.sealer.open(sealed, this.aad(list, n)).toString('utf8')) as SealedFields;
  }

  entry(r: Row): StoredEntry {
    const [plate, raw, state, caseNumber, xref, reason, officerName, officerPhone, synopsis] = this.fields(
      r.list,
      r.n,
      r.sealed,
    );
    return {
      list: r.list,
      listVersion: String(r.version),
      plate,
      raw,
      state,
      priority: r.priority,
      caseNumber,
      xref,
      reason,
      officerName,
      officerPhone,
      synopsis,
      informational: r.informational === 1,
      shareable: r.shareable === 1,
      source: r.source,
      created: r.created,
      expires: r.expires,
    };
  }
}
