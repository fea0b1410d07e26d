/** Reads, hits, configs and a log capture for the store and sync tests. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { storeSection } from '../../src/config/sections/store.ts';
import { syncSection } from '../../src/config/sections/sync.ts';
import { createLogger, type Logger } from '../../src/core/log.ts';
import { uuidv7 } from '../../src/domain/ids.ts';
import type { Hit, Read } from '../../src/domain/types.ts';

export const UNIT = { id: 'unit-7', agency: 'metro' };

/** A plate that never appears by chance in SQLite bytes (for the at-rest test). */
export function plateFor(i: number): string {
  return `ZQX${String(i % 10000).padStart(4, '0')}`;
}

export function makeRead(i: number, capturedAt: number = Date.now(), id: string = uuidv7()): Read {
  return {
    id,
    plate: plateFor(i),
    confidence: 0.93,
    candidates: [
      { text: plateFor(i), confidence: 0.93 },
      { text: `${plateFor(i).slice(0, -1)}8`, confidence: 0.04 },
    ],
    cameraId: 'front',
    orientation: 'front',
    capturedAt: new Date(capturedAt).toISOString(),
    box: { x: 100, y: 200, w: 120, h: 40 },
    position: {
      lat: 47.6097,
      lon: -122.3331,
      speed: 12.5,
      course: 90,
      quality: 'gps',
      fixAgeMs: 300,
      deadReckoned: false,
    },
    operatorId: 'op-1',
    unitId: UNIT.id,
    modelVersion: 'test-1',
  };
}

export function makeHit(read: Read, id: string = uuidv7()): Hit {
  return {
    id,
    readId: read.id,
    plate: read.plate,
    cameraId: read.cameraId,
    capturedAt: read.capturedAt,
    position: read.position,
    match: {
      list: 'SVS',
      listVersion: 'v1',
      entryPlate: read.plate,
      state: 'WA',
      priority: 1,
      caseNumber: null,
      reason: 'stolen',
      informational: false,
      shareable: true,
      approximate: false,
      substitutions: [],
      candidateIndex: 0,
    },
    late: false,
    direction: null,
  };
}

export function tempDirs(prefix = 'alpr-store-'): { root: string; data: string; creds: string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const data = join(root, 'data');
  const creds = join(root, 'creds');
  mkdirSync(data);
  mkdirSync(creds);
  writeFileSync(join(creds, 'store.key'), randomBytes(32));
  return { root, data, creds };
}

export function storeConfig(over: Record<string, unknown> = {}) {
  return storeSection.parse({ synchronous: 'normal', reserveMb: 1, ...over });
}

/** A sync section for a test broker: a plain mqtt:// one says `insecure` as a unit's config must. */
export function syncConfig(url: string, over: Record<string, unknown> = {}) {
  const insecure = !/^(mqtts|wss|ssl):/.test(url);
  return syncSection.parse({
    type: 'mqtt',
    url,
    insecure,
    reconnectMinMs: 200,
    reconnectMaxMs: 1000,
    ...over,
  });
}

/** A pino logger whose JSON lines are kept in memory. */
export function captureLog(level = 'debug'): {
  log: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  let buf = '';
  const dest = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ level, destination: dest });
  return {
    log,
    text: () => buf,
    lines: () =>
      buf
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export async function waitFor(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A queued audit-row record (RecordQueuePort), as the page queues one for the server. */
export function auditRecord(n: number) {
  return {
    id: `audit:${n}`,
    kind: 'audit',
    body: { seq: n, by: 'B12', at: 1_700_000_000_000 + n, reason: 'case', hash: `h${n}`, results: 3 },
  };
}
