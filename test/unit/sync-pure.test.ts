import { describe, expect, it } from 'vitest';
import {
  backlogGrowing,
  backoffMs,
  describeMqttError,
  LightReporter,
  refusesMqtt5,
  serverLight,
  TokenBucket,
} from '../../src/sync/state.ts';
import { uuidv7 } from '../../src/domain/ids.ts';
import { adminKeyMap } from '../../src/domain/signed.ts';
import { generateAdminKey } from '../../src/hotlist/push.ts';
import {
  MAX_HOLD_COMMAND_BYTES,
  parseHoldCommand,
  signHoldCommand,
  signHoldCommands,
  parseUnitTopic,
  payloads,
  serverSubscriptions,
  topics,
} from '../../src/sync/topics.ts';

const unit = { agency: 'metro', id: 'unit-7' };

describe('backoffMs', () => {
  it.each([
    [0, 0, 500],
    [0, 1, 1000],
    [1, 1, 2000],
    [3, 0.5, 6000],
    [10, 1, 60_000],
    [100, 1, 60_000],
  ])('attempt %i, rand %d → %i', (attempt, rand, want) => {
    expect(backoffMs(attempt, 1000, 60_000, rand)).toBe(want);
  });
});

describe('backlogGrowing', () => {
  it.each([
    [[0, 0, 0], false],
    [[10, 40, 100], true],
    [[10, 40], false],
    [[100, 90, 200], false],
    [[10, 20, 30], false],
  ])('%j → %s', (d, want) => {
    expect(backlogGrowing(d)).toBe(want);
  });
});

describe('serverLight', () => {
  const base = { now: 10 * 60_000, amberAfterMinutes: 0, redAfterMinutes: 5, lastError: null };
  it.each([
    [{ connected: true, downSince: null, depths: [3] }, 'green', /connected, 3 queued/],
    [{ connected: true, downSince: null, depths: [0, 100, 500] }, 'amber', /backlog growing \(500/],
    [
      { connected: true, downSince: null, depths: [0], lastError: 'Not authorized' },
      'amber',
      /uploads fail: Not authorized/,
    ],
    [{ connected: false, downSince: 9 * 60_000, depths: [7] }, 'amber', /unreachable for 1 min, 7 queued/],
    [{ connected: false, downSince: 0, depths: [7], lastError: 'wrong CA' }, 'red', /10 min.*wrong CA/],
    [
      { connected: false, downSince: 10 * 60_000 - 5000, depths: [0], amberAfterMinutes: 1 },
      'green',
      /reconnecting/,
    ],
  ])('%j', (s, light, reason) => {
    const r = serverLight({ ...base, ...s });
    expect(r.light).toBe(light);
    expect(r.reason).toMatch(reason);
  });
});

describe('LightReporter', () => {
  const state = (connected: boolean, downSince: number | null, now: number) => ({
    connected,
    downSince,
    lastError: null,
    now,
    amberAfterMinutes: 0,
    redAfterMinutes: 15,
  });
  it('while not green, says each tick how long the server is down and how much waits', () => {
    const r = new LightReporter();
    const down = [1, 2, 3].map((i) => r.next(state(false, 0, i * 10_000), 20 * i));
    expect(down.map((x) => x?.reason)).toEqual([
      'server unreachable for 10 s, 20 queued',
      'server unreachable for 20 s, 40 queued',
      'server unreachable for 30 s, 60 queued',
    ]);
  });
  it('while green, a moving count alone waits for the sixth tick', () => {
    const r = new LightReporter();
    const up = [1, 2, 3, 4, 5, 6, 7].map((i) => r.next(state(true, null, i * 10_000), i));
    expect(up.map((x) => x !== null)).toEqual([true, false, false, false, false, false, true]);
  });
});

describe('describeMqttError', () => {
  it.each([
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'x' }, /configured CA/],
    [{ code: 'CERT_HAS_EXPIRED', message: 'x' }, /expired/],
    [{ code: 'ECONNREFUSED', message: 'x' }, /connection refused/],
    [new Error('ssl3_read_bytes:tlsv1 alert unknown ca'), /client certificate not accepted/],
    [new Error('Publish error: Not authorized'), /not authorized \(ACL/],
    [new Error('something else'), /^something else$/],
  ])('%o', (e, want) => {
    expect(describeMqttError(e)).toMatch(want);
  });
});

describe('refusesMqtt5', () => {
  it.each([
    [{ code: 1, message: 'Connection refused: undefined' }, true],
    [{ code: 0x84, message: 'Connection refused: Unsupported Protocol Version' }, true],
    [{ code: 0x87, message: 'Connection refused: Not authorized' }, false],
    [{ code: 'ECONNREFUSED' }, false],
    [new Error('x'), false],
    [null, false],
  ])('%o → %s', (e, want) => {
    expect(refusesMqtt5(e)).toBe(want);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces to the rate', () => {
    const b = new TokenBucket(1000, 1000, 0);
    expect(b.take(800, 0)).toBe(0);
    expect(b.take(800, 0)).toBe(600);
    expect(b.take(800, 600)).toBe(0);
    expect(new TokenBucket(0, 0, 0).take(1e9, 0)).toBe(0);
  });

  it('a clock set back (an RTC two hours ahead at boot, then corrected) costs no wait beyond the pace', () => {
    const ahead = 2 * 3_600_000;
    const b = new TokenBucket(1000, 1000, ahead);
    expect(b.take(800, ahead)).toBe(0);
    // the step back gains nothing, and owes nothing either: only the missing 600 bytes' time
    expect(b.take(800, 0)).toBe(600);
    expect(b.take(800, 600)).toBe(0);
  });
});

describe('topics', () => {
  it('puts everything under <base>/<agency>/<unit>/ and never a wildcard', () => {
    const t = topics('alpr', unit);
    for (const v of Object.values(t)) {
      expect(v.startsWith('alpr/metro/unit-7')).toBe(true);
      expect(v).not.toMatch(/[+#]/);
    }
    expect(serverSubscriptions('alpr')).toContain('alpr/+/+/read');
    expect(parseUnitTopic('alpr', 'alpr/metro/unit-7/cmd/hold')).toEqual({
      agency: 'metro',
      unit: 'unit-7',
      rest: 'cmd/hold',
    });
    expect(parseUnitTopic('alpr', 'other/metro/unit-7/read')).toBeNull();
  });

  it('every payload carries type, version and id', () => {
    const p = payloads.status(unit, 'online', 5);
    expect(p).toMatchObject({
      type: 'status',
      version: 1,
      agency: 'metro',
      unit: 'unit-7',
      state: 'online',
      sentAt: 5,
    });
    expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
    const img = payloads.image(unit, 'r1:plate', 'r1', 'plate', Buffer.from('jpeg'), 1);
    expect(img).toMatchObject({
      type: 'image',
      version: 1,
      id: 'r1:plate',
      data: Buffer.from('jpeg').toString('base64'),
    });
  });

  const admin = generateAdminKey();
  const stranger = generateAdminKey();
  const keys = adminKeyMap([{ id: 'k1', publicKey: admin.publicKey }]);
  const NOW = 1_700_000_000_000;
  const cmd = (o: { unit?: typeof unit; readIds?: string[]; key?: string; issuedAt?: number } = {}) =>
    signHoldCommand(
      {
        id: 'req-1',
        unit: o.unit ?? unit,
        action: 'hold',
        ref: 'CASE-1',
        readIds: o.readIds ?? ['a', 'b'],
        issuedAt: o.issuedAt ?? NOW,
      },
      o.key ?? admin.privateKeyPem,
      'k1',
    );
  const good = cmd();
  it.each([
    ['valid', good, null],
    ['not JSON', '{', 'not JSON'],
    ['wrong type', { ...good, type: 'read' }, 'type must be "hold"'],
    [
      'unsigned (format 1)',
      { type: 'hold', version: 1, id: 'req-1', action: 'hold', ref: 'CASE-1', readIds: ['a'] },
      'unsupported version 1 (hold commands must be signed, with their issue time)',
    ],
    [
      'without an issue time (format 2)',
      { ...good, version: 2 },
      'unsupported version 2 (hold commands must be signed, with their issue time)',
    ],
    ['issue time changed after signing', { ...good, issuedAt: NOW + 1 }, 'bad signature'],
    ['issue time not a number', { ...good, issuedAt: '1700000000000' }, 'issuedAt must be epoch ms'],
    [
      'issued more than 30 days ago',
      cmd({ issuedAt: NOW - 31 * 24 * 3600_000 }),
      'issued 2023-10-14T22:13:20.000Z, more than 30 days ago: sign and send it again',
    ],
    ['bad action', { ...good, action: 'delete' }, 'action must be hold or release'],
    ['no ref', { ...good, ref: '' }, 'bad ref'],
    ['bad ids', { ...good, readIds: ['a b'] }, 'readIds must be up to 10000 ids'],
    ['signature removed', { ...good, sig: '' }, 'unsigned'],
    ['ids changed after signing', { ...good, readIds: ['a', 'c'] }, 'bad signature'],
    ['action changed after signing', { ...good, action: 'release' }, 'bad signature'],
    ['signed by a key the unit does not pin', cmd({ key: stranger.privateKeyPem }), 'bad signature'],
    ['naming an unknown key', { ...good, keyId: 'k9' }, 'signed by unknown key "k9"'],
    ['signed for another unit', cmd({ unit: { agency: 'metro', id: 'unit-8' } }), 'for another unit'],
  ])('hold command: %s', (_n, body, problem) => {
    const r = parseHoldCommand(
      Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      unit,
      keys,
      NOW,
    );
    if (problem === null) expect(r).toEqual(good);
    else expect(r).toBe(problem);
  });

  it('a hold for 10,000 reads goes as commands that each fit and each verify, covering every read once', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => uuidv7(NOW - i * 1000));
    const c = { id: 'req-big', unit, action: 'hold' as const, ref: 'CASE-9', readIds: ids, issuedAt: NOW };
    const cmds = signHoldCommands(c, admin.privateKeyPem, 'k1');
    expect(cmds.length).toBeGreaterThan(20);
    expect(cmds.map((x) => x.id)).toEqual(cmds.map((_, k) => `req-big-${k + 1}`));
    const seen: string[] = [];
    for (const x of cmds) {
      const buf = Buffer.from(JSON.stringify(x));
      expect(buf.length).toBeLessThanOrEqual(MAX_HOLD_COMMAND_BYTES);
      const parsed = parseHoldCommand(buf, unit, keys, NOW);
      expect(typeof parsed).not.toBe('string');
      seen.push(...(parsed as { readIds: string[] }).readIds);
    }
    expect(seen).toEqual(ids);
    // a hold that fits stays one command with its own id
    expect(
      signHoldCommands({ ...c, readIds: ids.slice(0, 3) }, admin.privateKeyPem, 'k1').map((x) => x.id),
    ).toEqual(['req-big']);
  });
});

describe('hostNetworkKey', () => {
  it("lists the host's non-internal addresses, sorted", async () => {
    const { hostNetworkKey } = await import('../../src/sync/link.ts');
    const addr = (address: string, internal: boolean) =>
      ({ address, internal, family: 'IPv4', netmask: '', mac: '', cidr: null }) as const;
    expect(
      hostNetworkKey(() => ({
        lo: [addr('127.0.0.1', true)],
        wlan0: [addr('10.0.0.9', false)],
        eth0: [addr('10.0.0.2', false)],
      })),
    ).toBe('10.0.0.2,10.0.0.9');
  });

  it('is empty, not a throw, where the addresses cannot be read (a sandbox without netlink)', async () => {
    const { hostNetworkKey } = await import('../../src/sync/link.ts');
    expect(
      hostNetworkKey(() => {
        throw new Error('A system error occurred: uv_interface_addresses returned Unknown system error 97');
      }),
    ).toBe('');
  });
});
