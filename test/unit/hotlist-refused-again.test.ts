/**
 * A retained manifest is read again by every refresh (core/retained-refresh.ts). One whose signed
 * body the store refused (a bad row) is not fetched and refused again while the live version
 * stands: no second download, no second ack. A truncated one is fetched again (a chunk missing on
 * one broker node may arrive on the next read), and any refused one is looked at anew once the
 * live version moves.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HotlistEntry } from '../../src/hotlist/match.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import { HotlistSubscriber, type HotlistTarget } from '../../src/hotlist/subscriber.ts';
import { signedSnapshot } from '../support/signed-snapshot.ts';

const admin = generateAdminKey();
const TOPIC = 'alpr-admin/metro/hotlist/SVS';

function snapshot(version: number, rows: string[]) {
  const { manifest, chunks } = signedSnapshot(admin.privateKeyPem, 'SVS', version, rows);
  return { manifest: Buffer.from(JSON.stringify(manifest)), chunks };
}

class Target implements HotlistTarget {
  live = 0;
  reads = 0;
  listVersion(): number {
    return this.live;
  }
  async applyVersion(meta: { version: number }, entries: AsyncIterable<HotlistEntry>) {
    this.reads++;
    let n = 0;
    for await (const _e of entries) n++;
    this.live = meta.version;
    return n;
  }
}

async function rig() {
  const target = new Target();
  const acks: string[] = [];
  const sub = new HotlistSubscriber({
    mqtt: { url: 'mqtt://127.0.0.1:1', options: { reconnectPeriod: 0 } },
    topicBase: 'alpr',
    agency: 'metro',
    unitId: 'u1',
    adminKeys: [{ id: 'k1', publicKey: admin.publicKey }],
    target,
    log: pino({ level: 'silent' }),
    chunkTimeoutMs: 50,
    onResult: (a) => acks.push(`${a.last.listVersion} ${a.last.status} ${a.last.reason ?? ''}`),
  });
  await sub.start();
  const deliver = (s: ReturnType<typeof snapshot>, version: number, upTo = s.chunks.length) => {
    sub.receive(`${TOPIC}/manifest`, s.manifest);
    for (let i = 0; i < upTo; i++) sub.receive(`${TOPIC}/chunk/${version}/${i}`, s.chunks[i]!);
  };
  const settle = () => new Promise((r) => setTimeout(r, 150));
  return { target, acks, sub, deliver, settle };
}

describe('a refused hot-list manifest read again', () => {
  it('is not fetched and refused again while the live version stands; it is once the version moves', async () => {
    const { target, acks, sub, deliver, settle } = await rig();
    try {
      const bad = snapshot(5, ['GOOD1,CA,1,c,r', 'X,CA,1,c,r']);
      deliver(bad, 5);
      await settle();
      expect(acks).toHaveLength(1);
      expect(acks[0]).toMatch(/^5 rejected .*line 3 is bad/);
      const reads = target.reads;
      deliver(bad, 5); // the refresh reads the same retained manifest (and its chunks) again
      await settle();
      expect(acks).toHaveLength(1);
      expect(target.reads).toBe(reads);
      target.live = 2; // another list version went live meanwhile: the manifest is looked at anew
      deliver(bad, 5);
      await settle();
      expect(acks).toHaveLength(2);
      expect(acks[1]).toMatch(/^5 rejected .*line 3 is bad/);
    } finally {
      await sub.stop();
    }
  });

  it('a truncated one is fetched again, and applies when its chunks arrive', async () => {
    const { target, acks, sub, deliver, settle } = await rig();
    try {
      const good = snapshot(7, ['GOOD1,CA,1,c,r', 'GOOD2,CA,1,c,r', 'GOOD3,CA,1,c,r', 'GOOD4,CA,1,c,r']);
      expect(good.chunks.length).toBeGreaterThan(1);
      deliver(good, 7, good.chunks.length - 1); // the last chunk is missing on this node
      await settle();
      expect(acks).toEqual([expect.stringMatching(/^7 rejected .*truncated/)]);
      deliver(good, 7);
      await settle();
      expect(acks[1]).toBe('7 applied ');
      expect(target.live).toBe(7);
    } finally {
      await sub.stop();
    }
  });
});
