/**
 * The append-only audit trail (policy rule 10): every search of stored reads, and the officer's
 * other recorded actions, in a hash chain: each row's hash = sha256(previous hash + canonical row),
 * so changing, removing or reordering any row breaks every hash after it.
 *
 * The chain covers the plaintext row (what was searched, why), not the ciphertext kept at rest
 * (db.ts seals `detail` and `reason`): the copy sent upstream is plaintext, so the server and the
 * quarterly auditors verify it without the unit's key, and re-keying the unit never breaks the
 * chain. A plate has little entropy (a few million formats), so a hash of the plaintext alone
 * would give a thief the plate by trying them all: each row carries a random 128-bit `salt`,
 * sealed with the detail at rest and sent upstream in clear, and hashed with the row.
 */
import { createHash, randomBytes } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export type AuditKind =
  | 'search'
  | 'image-view'
  | 'shift-check'
  | 'hit-action'
  | 'hot-plate'
  | 'hot-plate-cancel'
  | 'sign-in'
  | 'sign-out';

/** The fields that are hashed; `seq` is the row number (1, 2, …). */
export interface AuditEntry {
  seq: number;
  /** Epoch ms. */
  at: number;
  badge: string | null;
  kind: AuditKind;
  /** What was asked or done (search query, hit id and action…), as a JSON object. */
  detail: Record<string, unknown>;
  reason: string | null;
  caseNumber: string | null;
  resultCount: number | null;
  /** 32 hex characters of randomness hashed with the row (absent on rows written before it existed). */
  salt?: string;
}

export interface AuditRow extends AuditEntry {
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every depth: the same row always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function rowHash(prevHash: string, e: AuditEntry): string {
  const canon = canonicalJson({
    seq: e.seq,
    at: e.at,
    badge: e.badge,
    kind: e.kind,
    detail: e.detail,
    reason: e.reason,
    caseNumber: e.caseNumber,
    resultCount: e.resultCount,
    salt: e.salt,
  });
  return createHash('sha256').update(prevHash).update(canon).digest('hex');
}

export function chainRow(prev: Pick<AuditRow, 'seq' | 'hash'> | null, e: Omit<AuditEntry, 'seq'>): AuditRow {
  const prevHash = prev?.hash ?? GENESIS;
  const entry = { ...e, seq: (prev?.seq ?? 0) + 1, salt: e.salt ?? randomBytes(16).toString('hex') };
  return { ...entry, prevHash, hash: rowHash(prevHash, entry) };
}

export type ChainVerdict =
  | { ok: true; rows: number; head: string }
  | { ok: false; rows: number; firstBad: number; why: string };

/**
 * The chain checked row by row, in seq order (the rows may come in several batches): `add` returns
 * the verdict on the first row whose link or hash does not hold, `verdict` the one so far.
 */
export class ChainCheck {
  private prev = GENESIS;
  private expectSeq = 1;
  private n = 0;
  private bad: ChainVerdict | null = null;

  /** The seq of the last row that held (0 before any). */
  get lastSeq(): number {
    return this.expectSeq - 1;
  }

  add(r: AuditRow): ChainVerdict | null {
    if (this.bad) return this.bad;
    const why =
      r.seq !== this.expectSeq
        ? `row ${this.expectSeq} is missing (found ${r.seq})`
        : r.prevHash !== this.prev
          ? 'does not link to the row before it'
          : rowHash(this.prev, r) !== r.hash
            ? 'its content does not match its hash (altered)'
            : null;
    if (why) return this.fail(r.seq, why);
    this.n++;
    this.prev = r.hash;
    this.expectSeq++;
    return null;
  }

  /** A bad row (or one that cannot even be read: its sealed content does not open) ends the check. */
  fail(seq: number, why: string): ChainVerdict {
    this.bad ??= { ok: false, rows: this.n + 1, firstBad: seq, why };
    return this.bad;
  }

  verdict(): ChainVerdict {
    return this.bad ?? { ok: true, rows: this.n, head: this.prev };
  }
}

/** Checks rows in seq order; reports the first row whose link or hash does not hold. */
export function verifyAuditChain(rows: Iterable<AuditRow>): ChainVerdict {
  const check = new ChainCheck();
  for (const r of rows) if (check.add(r)) break;
  return check.verdict();
}
