/**
 * Child process for the crash test: applies a never-ending version of list SVS and says "MID"
 * once rows are being written, so the parent can kill -9 it in the middle of the apply.
 * argv: dbPath layout batchRows|delta   (delta: a never-ending delta on top of version 1, which
 * runs in one synchronous transaction; stdout to a pipe is synchronous on Linux, so MID arrives)
 */
import { HotlistStore, type Layout } from '../../../src/hotlist/store.ts';
import type { DeltaChange } from '../../../src/hotlist/delta.ts';
import type { HotlistEntry } from '../../../src/hotlist/match.ts';
import { hotlistEntry } from '../../helpers/hotlist-fixtures.ts';
import { aesSealer } from '../../../src/domain/seal.ts';

/** Hot-list rows sealed as on a unit (a fixed test key). */
const TEST_SEALER = aesSealer(Buffer.alloc(32, 7), 'hotlist');

const [dbPath, layout, batch] = process.argv.slice(2) as [string, Layout, string];
const store = new HotlistStore(dbPath, { layout, sealer: TEST_SEALER });

const entry = (i: number): HotlistEntry =>
  hotlistEntry(`N${String(i).padStart(6, '0')}`, { raw: 'x', caseNumber: null, reason: null });

async function* rows(): AsyncGenerator<HotlistEntry> {
  for (let i = 0; ; i++) {
    if (i === 5_000) process.stdout.write('MID\n');
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    yield entry(i);
  }
}

function* changes(): Generator<DeltaChange> {
  for (let i = 0; ; i++) {
    if (i === 5_000) process.stdout.write('MID\n');
    yield { op: '+', entry: entry(i) };
  }
}

if (batch === 'delta') {
  store.applyDelta({ list: 'SVS', version: 2, baseVersion: 1, issuedAt: 2 }, changes());
}
await store.applyVersion({ list: 'SVS', version: 2, issuedAt: 2 }, rows(), {
  batchRows: batch === 'single' ? Number.POSITIVE_INFINITY : Number(batch),
});
