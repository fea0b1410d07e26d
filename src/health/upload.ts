/**
 * The upload line of `alpr status` (policy: once a shift, check that reads upload): queue depth,
 * age of the oldest pending message and when the server last acknowledged a read. Pure.
 */

/** What the root's callback returns (from the store's outbox); null when there is no server link. */
export interface UploadInfo {
  /** Pending outbox messages. */
  depth: number;
  /** Epoch ms the server last acknowledged a read, or null if never. */
  lastAckedAt: number | null;
  /** Epoch ms the oldest pending message was queued, when the store knows it. */
  oldestPendingAt?: number | null;
}

/** The `upload` section of GET /health. Ages are taken on the unit's clock, at the body's time. */
export interface UploadBody {
  depth: number;
  lastAckedAt: string | null;
  lastAckedAgeS: number | null;
  oldestPendingAgeS: number | null;
}

const age = (at: number | null | undefined, now: number): number | null =>
  at === null || at === undefined ? null : Math.max(0, Math.round((now - at) / 1000));

export function uploadBody(info: UploadInfo, now: number): UploadBody {
  return {
    depth: info.depth,
    lastAckedAt: info.lastAckedAt === null ? null : new Date(info.lastAckedAt).toISOString(),
    lastAckedAgeS: age(info.lastAckedAt, now),
    oldestPendingAgeS: info.depth > 0 ? age(info.oldestPendingAt, now) : null,
  };
}

/** "45 s", "3 min", "5 h", "2 days". */
export function formatAge(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} days`;
}

/** "14:02:11" (today) or "2026-11-22 14:02:11" (older than a day), in `timeZone` (default: local). */
export function clockTime(iso: string, ageS: number | null, timeZone?: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const time = `${parts.hour}:${parts.minute}:${parts.second}`;
  return ageS !== null && ageS < 86_400 ? time : `${parts.year}-${parts.month}-${parts.day} ${time}`;
}

/** "upload: 12 queued (oldest 2 h), last read acknowledged 14:02:11 (3 min ago)". */
export function formatUpload(u: UploadBody, opts: { timeZone?: string } = {}): string {
  const oldest =
    u.depth > 0 && u.oldestPendingAgeS !== null ? ` (oldest ${formatAge(u.oldestPendingAgeS)})` : '';
  const acked =
    u.lastAckedAt === null
      ? 'never'
      : `${clockTime(u.lastAckedAt, u.lastAckedAgeS, opts.timeZone)}${
          u.lastAckedAgeS === null ? '' : ` (${formatAge(u.lastAckedAgeS)} ago)`
        }`;
  return `upload: ${u.depth} queued${oldest}, last read acknowledged ${acked}`;
}

/** Whether a parsed `upload` section looks like ours (an older daemon sends none). */
export function isUploadBody(x: unknown): x is UploadBody {
  if (!x || typeof x !== 'object') return false;
  const u = x as Record<string, unknown>;
  return (
    typeof u.depth === 'number' &&
    (u.lastAckedAt === null || typeof u.lastAckedAt === 'string') &&
    (u.lastAckedAgeS === null || typeof u.lastAckedAgeS === 'number')
  );
}
