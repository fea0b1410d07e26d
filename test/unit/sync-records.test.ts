import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { QueuedRecord, RecordQueuePort } from '../../src/domain/ports.ts';
import { hotPlateRecord, type Publish, RecordDrain } from '../../src/sync/records.ts';
import { payloads, RECORD_KINDS, recordTopic, serverSubscriptions, topics } from '../../src/sync/topics.ts';

const UNIT = { agency: 'metro', id: 'unit-7' };

/** An in-memory record queue with the port's semantics. */
function memQueue(): RecordQueuePort & { rows: QueuedRecord[] } {
  const rows: QueuedRecord[] = [];
  let seq = 0;
  return {
    rows,
    put: (r) => {
      if (rows.some((x) => x.id === r.id)) return false;
      rows.push({ seq: ++seq, enqueuedAt: 1000 + seq, ...r });
      return true;
    },
    peek: (limit, after = 0) => rows.filter((r) => r.seq > after).slice(0, limit),
    ack: (seqs) => {
      for (const s of seqs) {
        const i = rows.findIndex((r) => r.seq === s);
        if (i >= 0) rows.splice(i, 1);
      }
    },
    depth: () => rows.length,
    onPut: () => () => {},
  };
}

function harness(room = 10) {
  const q = memQueue();
  const sent: { topic: string; body: unknown; done: (ok: boolean) => void }[] = [];
  const publish: Publish = (topic, body, done) => sent.push({ topic, body: JSON.parse(String(body)), done });
  const drain = new RecordDrain(q, UNIT, pino({ level: 'silent' }), () => 5000);
  const fill = (take = 0) =>
    drain.fill({
      room: () => room - drain.inflightCount,
      take: () => take,
      publish,
      topicBase: 'alpr',
      batch: 4,
    });
  return { q, sent, drain, fill };
}

describe('record topics and payloads', () => {
  it.each([
    ['hit-state', 'alpr/metro/unit-7/hit-state'],
    ['shift-check', 'alpr/metro/unit-7/shift-check'],
    ['audit', 'alpr/metro/unit-7/audit'],
    ['hot-plate', 'alpr/metro/unit-7/hot-plate'],
    ['something-new', 'alpr/metro/unit-7/record'],
  ])('%s goes to %s', (kind, topic) => {
    expect(recordTopic('alpr', UNIT, kind)).toBe(topic);
  });

  it('the server subscribes to every record topic, and topics() names them', () => {
    const subs = serverSubscriptions('alpr');
    for (const k of [...RECORD_KINDS, 'record']) expect(subs).toContain(`alpr/+/+/${k}`);
    const t = topics('alpr', UNIT);
    expect([t.hitState, t.shiftCheck, t.audit, t.hotPlate]).toEqual(
      RECORD_KINDS.map((k) => recordTopic('alpr', UNIT, k)),
    );
  });

  it('the envelope id is the record id; unknown kinds keep their kind', () => {
    const r = { seq: 3, id: 'audit:9', kind: 'audit', enqueuedAt: 77, body: { a: 1 } };
    expect(payloads.record(UNIT, r, 5)).toEqual({
      type: 'audit',
      version: 1,
      id: 'audit:9',
      agency: 'metro',
      unit: 'unit-7',
      sentAt: 5,
      kind: 'audit',
      queuedAt: 77,
      body: { a: 1 },
    });
    expect(payloads.record(UNIT, { ...r, kind: 'x' }, 5)).toMatchObject({ type: 'record', kind: 'x' });
  });

  it('hot-plate records have a stable id per entry', () => {
    const e = { plate: 'ABC123', state: null, created: 42, list: 'LOCAL' };
    const tag = (t: string) => `T(${t.length})`;
    // queued at the entry's creation time, whenever it is queued (again at every start)
    expect(hotPlateRecord(e, tag)).toEqual({
      id: 'hot-plate:T(10)',
      kind: 'hot-plate',
      body: e,
      enqueuedAt: 42,
    });
    expect(hotPlateRecord({ ...e }, tag).id).toBe(hotPlateRecord(e, tag).id);
    expect(hotPlateRecord(e, (t) => t).id).toBe('hot-plate:ABC123||42');
  });
});

describe('RecordDrain', () => {
  it('sends in seq order within the window and acks only on PUBACK', () => {
    const h = harness(2);
    for (let i = 0; i < 3; i++) h.q.put({ id: `r${i}`, kind: 'audit', body: i });
    expect(h.fill()).toBe('full');
    expect(h.sent.map((s) => (s.body as { id: string }).id)).toEqual(['r0', 'r1']);
    h.drain.flush();
    expect(h.q.depth()).toBe(3); // nothing acknowledged yet
    h.sent[0]!.done(true);
    h.drain.flush();
    expect(h.q.rows.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(h.fill()).toBe('full'); // r2 took the freed slot
    h.sent[1]!.done(true);
    expect(h.fill()).toBe('done');
    expect(h.sent.map((s) => (s.body as { id: string }).id)).toEqual(['r0', 'r1', 'r2']);
  });

  it('a refused publish is sent again; a reset resends everything unacknowledged', () => {
    const h = harness();
    h.q.put({ id: 'a', kind: 'hit-state', body: 1 });
    h.q.put({ id: 'b', kind: 'hit-state', body: 2 });
    expect(h.fill()).toBe('done');
    h.sent[0]!.done(false);
    expect(h.fill()).toBe('done');
    expect(h.sent.map((s) => (s.body as { id: string }).id)).toEqual(['a', 'b', 'a']);
    h.drain.reset();
    expect(h.fill()).toBe('done');
    expect(h.sent).toHaveLength(5);
    // A PUBACK of the old connection still counts: the record was delivered.
    h.sent[1]!.done(true);
    h.drain.flush();
    expect(h.q.rows.map((r) => r.id)).toEqual(['a']);
  });

  it('stops at the bandwidth cap and says how long to wait', () => {
    const h = harness();
    h.q.put({ id: 'a', kind: 'audit', body: 1 });
    expect(h.fill(250)).toBe(250);
    expect(h.sent).toHaveLength(0);
    expect(h.fill(0)).toBe('done');
    expect(h.sent).toHaveLength(1);
  });
});
