/**
 * Whatever arrives from the broker, the unit's message handlers never throw and never leave a
 * rejected promise behind: seeded fuzz of hold commands (sync), signed rosters (roster sync) and
 * hot-list manifests and chunks (hot-list sync), some of them well signed so the fuzz reaches past
 * the signature checks. Subscribers are started against a port where no broker listens: they only
 * need their keys, not a link.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { signBytes } from '../../src/domain/signed.ts';
import type { HotlistEntry } from '../../src/hotlist/match.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import { type Manifest, signManifest } from '../../src/hotlist/snapshot.ts';
import { HotlistSubscriber, type HotlistTarget } from '../../src/hotlist/subscriber.ts';
import { applyHoldCommand } from '../../src/sync/link.ts';
import {
  openRoster,
  ROSTER_FORMAT,
  ROSTER_TAG,
  RosterSubscriber,
  signRoster,
} from '../../src/sync/roster.ts';
import { wrapContext, wrapRosterKey } from '../../src/domain/roster-key.ts';
import { parseHoldCommand, parseUnitTopic, signHoldCommand } from '../../src/sync/topics.ts';
import { adminKeyMap } from '../../src/domain/signed.ts';
import { junk, NASTY_FIELDS, type Rng, rng } from '../support/prng.ts';
import { signedSnapshot } from '../support/signed-snapshot.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 600);
const log = pino({ level: 'silent' });
const NO_BROKER = 'mqtt://127.0.0.1:1';
const admin = generateAdminKey();
const ADMIN_KEYS = [{ id: 'k1', publicKey: admin.publicKey }];
const tmp = mkdtempSync(join(tmpdir(), 'alpr-mqtt-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A random JSON value: what a broken or hostile publisher could send. */
function jsonValue(r: Rng, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 3 : 5)) {
    case 0:
      return null;
    case 1:
      return r.pick([0, -1, 1, 2, 1.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER]);
    case 2:
      return r.pick(NASTY_FIELDS);
    case 3:
      return r.bool();
    case 4:
      return Array.from({ length: r.int(0, 4) }, () => jsonValue(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(0, 4) }, () => [r.pick(NASTY_FIELDS), jsonValue(r, depth + 1)]),
      );
  }
}

/** `base` with some fields replaced by random values, some removed, some added. */
function mutate(r: Rng, base: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = { ...base };
  for (const k of Object.keys(o)) {
    if (r.bool(0.2)) o[k] = jsonValue(r);
    else if (r.bool(0.05)) delete o[k];
  }
  if (r.bool(0.1)) o[r.pick(NASTY_FIELDS)] = jsonValue(r);
  return o;
}

/** Bytes a payload may be: JSON of `o`, cut short, or noise. */
function payloadOf(r: Rng, o: unknown): Buffer {
  const text = JSON.stringify(o) ?? 'undefined';
  switch (r.int(0, 9)) {
    case 0:
      return Buffer.from(text.slice(0, r.int(0, text.length)));
    case 1:
      return Buffer.from(junk(r, 100));
    case 2:
      return Buffer.from(Array.from({ length: r.int(0, 64) }, () => r.int(0, 255)));
    default:
      return Buffer.from(text);
  }
}

describe('hold commands (sync)', () => {
  const UNIT = { id: 'u', agency: 'a' };
  const keys = adminKeyMap(ADMIN_KEYS);
  // Well signed, so the fuzz reaches past the signature check when a mutation leaves it intact.
  const good: Record<string, unknown> = signHoldCommand(
    {
      id: 'req-1',
      unit: UNIT,
      action: 'hold',
      ref: 'case-42',
      readIds: ['r1', 'r2'],
      issuedAt: 1_700_000_000_000,
    },
    admin.privateKeyPem,
    'k1',
  );

  it(`${CASES} seeded commands: parsed or refused with a reason, never a throw`, () => {
    let accepted = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const payload = payloadOf(r, mutate(r, good));
      const c = parseHoldCommand(payload, UNIT, keys, 1_700_000_000_000);
      if (typeof c === 'string') continue;
      accepted++;
      expect(c.action === 'hold' || c.action === 'release', `seed ${seed}`).toBe(true);
      expect(Array.isArray(c.readIds) && c.readIds.every((x) => typeof x === 'string'), `seed ${seed}`).toBe(
        true,
      );
      expect(typeof c.ref === 'string' && c.ref.length >= 1 && c.ref.length <= 128, `seed ${seed}`).toBe(
        true,
      );
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it('applyHoldCommand answers or ignores, whatever the payload', () => {
    const holds = { setHold: (ids: readonly string[]) => ids.length };
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const out = applyHoldCommand(payloadOf(r, mutate(r, good)), holds, UNIT, 0, log, keys, () => {});
      if (out !== null) expect(JSON.parse(out).type, `seed ${seed}`).toBe('holdResult');
    }
  });

  it('unit topics of any shape split or are refused', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const topic = [
        'alpr',
        ...Array.from({ length: r.int(0, 6) }, () => r.pick([...NASTY_FIELDS, junk(r, 10)])),
      ].join('/');
      const p = parseUnitTopic('alpr', topic);
      if (p) expect(typeof p.rest, `seed ${seed}`).toBe('string');
    }
  });
});

describe('rosters (roster sync)', () => {
  const unitTls = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const unitPem = Buffer.from(unitTls.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const keys = adminKeyMap(ADMIN_KEYS);
  const signedBody = (body: string) =>
    Buffer.from(
      JSON.stringify({
        type: 'roster',
        version: ROSTER_FORMAT,
        keyId: 'k1',
        sig: signBytes(Buffer.from(ROSTER_TAG + body), admin.privateKeyPem),
        body,
      }),
    );

  it('a well-signed body that is not an object is refused, not dereferenced', () => {
    for (const body of ['null', '"x"', '7', '[]', 'true']) {
      expect(openRoster(signedBody(body), { agency: 'metro', unit: 'u1' }, keys)).toBe(
        'roster body is not an object',
      );
    }
  });

  it(`${CASES} seeded rosters, signed and not: a body or a reason, never a throw`, () => {
    const base = {
      id: 'r',
      agency: 'metro',
      unit: 'u1',
      issuedAt: 1_700_000_000_000,
      users: [],
      pinKey: { alg: 'ECDH-ES+A256GCM', ct: 'x' },
    };
    let opened = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const body = r.bool(0.7)
        ? JSON.stringify(mutate(r, base))
        : (JSON.stringify(jsonValue(r)) ?? junk(r, 50));
      const payload = r.bool(0.7)
        ? signedBody(body)
        : payloadOf(r, mutate(r, { type: 'roster', version: ROSTER_FORMAT, body }));
      const b = openRoster(payload, { agency: 'metro', unit: 'u1' }, keys);
      if (typeof b === 'string') continue;
      opened++;
      expect(Array.isArray(b.users) && Number.isSafeInteger(b.issuedAt), `seed ${seed}`).toBe(true);
    }
    expect(opened).toBeGreaterThan(10);
  });

  it('a roster that cannot be recorded is refused, and the next one is still handled', async () => {
    const applied: unknown[][] = [];
    const sub = new RosterSubscriber({
      mqtt: { url: NO_BROKER, options: { reconnectPeriod: 0 } },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'u1',
      adminKeys: ADMIN_KEYS,
      // The state file cannot be written (its folder is a file): applying must not reject the chain.
      stateFile: join('/dev/null', 'roster.applied'),
      applyRoster: (users) => void applied.push(users),
      unitKey: () => unitPem,
      log,
    });
    await sub.start();
    try {
      const topic = 'alpr-admin/metro/roster/u1';
      const msg = (issuedAt: number) =>
        Buffer.from(
          JSON.stringify(
            signRoster(
              {
                agency: 'metro',
                unit: 'u1',
                users: [],
                issuedAt,
                id: `r${issuedAt}`,
                pinKey: wrapRosterKey(
                  randomBytes(32),
                  unitTls.publicKey,
                  wrapContext('metro', 'u1', `r${issuedAt}`),
                ),
              },
              admin.privateKeyPem,
              'k1',
            ),
          ),
        );
      await sub.receive(topic, msg(1000));
      await sub.receive(topic, msg(2000));
      expect(applied).toHaveLength(2);
      expect(sub.stats.rejected).toBe(2);
      expect(sub.stats.lastProblem).toMatch(/could not be applied/);
      for (let seed = 1; seed <= 100; seed++) {
        const r = rng(seed);
        await sub.receive(topic, payloadOf(r, jsonValue(r)));
      }
      expect(sub.stats.rejected).toBeGreaterThan(2);
    } finally {
      await sub.stop();
    }
  });
});

/** A signed snapshot manifest for `list` at `version` over a gzipped CSV body, and its chunks. */
const snapshot = (list: string, version: number, rows: string[]) =>
  signedSnapshot(admin.privateKeyPem, list, version, rows);

class FakeTarget implements HotlistTarget {
  readonly versions = new Map<string, number>();
  readonly applied: HotlistEntry[][] = [];
  listVersion(list: string): number {
    return this.versions.get(list) ?? 0;
  }
  async applyVersion(meta: { list: string; version: number }, entries: AsyncIterable<HotlistEntry>) {
    const got: HotlistEntry[] = [];
    for await (const e of entries) got.push(e);
    this.applied.push(got);
    this.versions.set(meta.list, meta.version);
    return got.length;
  }
}

describe('hot-list manifests and chunks (hot-list sync)', () => {
  it(`${CASES} seeded manifest/chunk sequences: applied, or refused with an ack, never a throw`, async () => {
    const target = new FakeTarget();
    const results: string[] = [];
    const sub = new HotlistSubscriber({
      mqtt: { url: NO_BROKER, options: { reconnectPeriod: 0 } },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'u1',
      adminKeys: ADMIN_KEYS,
      target,
      log,
      chunkTimeoutMs: 50,
      onResult: (a) => results.push(a.last.status),
    });
    await sub.start();
    const plates = ['ABC123', '7XYZ890', 'BAD PLATE!!', '"Q1"', '', '**1', 'ZZ9'];
    try {
      for (let seed = 1; seed <= CASES; seed++) {
        const r = rng(seed);
        const list = r.pick(['SVS', 'SVS', 'SPECIAL1', 'bad list', '+', '#']);
        const rows = Array.from({ length: r.int(0, 8) }, () =>
          [
            r.pick(plates),
            r.pick(['CA', '', 'XX1']),
            r.pick(['1', '9', '0', '']),
            'c',
            junk(r, 8).replace(/"/g, ''),
          ].join(','),
        );
        const version = seed + 1000;
        const { manifest, chunks } = snapshot(list, version, rows);
        // Some manifests go as signed, some mutated and re-signed (shape errors past the signature).
        let m: Record<string, unknown> = { ...(manifest as unknown as Record<string, unknown>) };
        if (r.bool(0.3)) {
          const { sig: _sig, ...rest } = mutate(r, m);
          const resigned = signManifest(rest as Omit<Manifest, 'sig'>, admin.privateKeyPem);
          m = r.bool(0.5) ? (resigned as unknown as Record<string, unknown>) : { ...rest, sig: 'x' };
        }
        const kind = r.bool(0.1) ? 'delta' : 'manifest';
        sub.receive(`alpr-admin/metro/hotlist/${list}/${kind}`, payloadOf(r, m));
        for (let i = 0; i < chunks.length + r.int(0, 2); i++) {
          const idx = r.bool(0.9) ? i : r.pick([-1, 1e9, Number.NaN, 0.5]);
          const payload = r.bool(0.9) ? (chunks[i] ?? Buffer.from('x')) : Buffer.from(junk(r, 64));
          sub.receive(
            `alpr-admin/metro/hotlist/${list}/chunk/${r.bool(0.9) ? version : 'x'}/${idx}`,
            payload,
          );
        }
        if (r.bool(0.05)) sub.receive(junk(r, 40), payloadOf(r, jsonValue(r)));
      }
      await new Promise((res) => setTimeout(res, 200));
    } finally {
      await sub.stop();
    }
    expect(sub.rejects.total).toBe(0);
    expect(results).toContain('applied');
    expect(results).toContain('rejected');
    for (const batch of target.applied) {
      for (const e of batch) {
        expect(e.plate).toMatch(/^[A-Z0-9*]{2,8}$/);
        expect(e.priority >= 1 && e.priority <= 9).toBe(true);
      }
    }
  });
});
