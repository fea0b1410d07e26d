import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterCopyMaker } from '../../src/commands/roster-copy.ts';
import { registerRosterPush } from '../../src/commands/roster-push.ts';
import { publicKeyBase64 } from '../../src/domain/signed.ts';
import { hashPin, verifyKeyedPin } from '../../src/web/pin.ts';
import { parseRoster, type RosterEntry } from '../../src/web/roster.ts';
import { pushRoster, RosterSubscriber, rosterTopic, signRoster } from '../../src/sync/roster.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, waitFor } from '../helpers/sync-fixtures.ts';

if (!hasMosquitto) console.warn('roster-sync: skipped, mosquitto not installed (apt-get install mosquitto)');

const pem = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
  k.export({ type: 'pkcs8', format: 'pem' }) as string;
const admin = pem(generateKeyPairSync('ed25519').privateKey);
const stranger = pem(generateKeyPairSync('ed25519').privateKey);
const PIN = '482913';
const cap = captureLog('info');
const PIN_HASH = await hashPin(PIN);
const user = (badge: string): RosterEntry => ({
  badge,
  name: `Officer ${badge}`,
  trained: true,
  pinHash: PIN_HASH,
  expires: null,
});
/** The units' TLS keys (P-256, as `alpr provision` makes them) and what the admin knows of them. */
const unitKeys = new Map(
  ['unit-7', 'unit-8'].map((u) => [u, generateKeyPairSync('ec', { namedCurve: 'P-256' })]),
);
const unitPem = (u: string) => Buffer.from(pem(unitKeys.get(u)!.privateKey));
const certs = new Map<string, KeyObject>([...unitKeys].map(([u, k]) => [u, k.publicKey]));
/** One unit's copy as `alpr roster push` makes it (keyed verifiers, the key wrapped to the unit). */
const copy = (unit: string, users: RosterEntry[], id: string, agency = 'metro') =>
  rosterCopyMaker(agency, users, certs)(unit, id);

describe.skipIf(!hasMosquitto)('signed roster over a real mosquitto', () => {
  let broker: Broker;
  let sub: RosterSubscriber;
  const applied: unknown[][] = [];
  const keys: Buffer[] = [];

  const stateDir = mkdtempSync(join(tmpdir(), 'alpr-roster-state-'));
  const stateFile = join(stateDir, 'roster.applied');

  beforeAll(async () => {
    broker = await startMosquitto();
    sub = new RosterSubscriber({
      stateFile,
      mqtt: { url: broker.url },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'unit-7',
      adminKeys: [{ id: 'admin', publicKey: publicKeyBase64(admin) }],
      unitKey: () => unitPem('unit-7'),
      applyRoster: (users, key) => {
        if (users.some((u) => (u as { badge?: string }).badge === 'bad badge'))
          throw new Error('user 1: badge');
        applied.push(users);
        keys.push(key);
      },
      log: cap.log,
    });
    await sub.start();
  });

  afterAll(async () => {
    await sub?.stop();
    await destroyMosquitto(broker);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const raw = async (payload: string) => {
    const c = await mqtt.connectAsync(broker.url);
    await c.publishAsync(rosterTopic('alpr', 'metro', 'unit-7'), payload, { qos: 1, retain: true });
    await c.endAsync();
  };
  const push = (users: RosterEntry[], issuedAt: number, privateKeyPem = admin) =>
    pushRoster({
      url: broker.url,
      topicBase: 'alpr',
      agency: 'metro',
      units: ['unit-7', 'unit-8'],
      copyFor: rosterCopyMaker('metro', users, certs),
      privateKeyPem,
      keyId: 'admin',
      issuedAt,
    });

  it('applies a well-signed roster, and the retained copy reaches a unit that connects later', async () => {
    await push([user('B1'), user('B2')], 1000);
    await waitFor(() => applied.length === 1, 10_000, 'roster applied');
    expect(applied[0]!.map((u) => (u as { badge: string }).badge)).toEqual(['B1', 'B2']);
    // Each verifier opens with the key the unit unwrapped, and only with the right PIN.
    const v = (applied[0]![0] as { pinVerifier: string }).pinVerifier;
    expect(await verifyKeyedPin(PIN, v, keys[0])).toBe(true);
    expect(await verifyKeyedPin('482914', v, keys[0])).toBe(false);
    const late: unknown[][] = [];
    const other = new RosterSubscriber({
      mqtt: { url: broker.url },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'unit-8',
      adminKeys: [{ id: 'admin', publicKey: publicKeyBase64(admin) }],
      unitKey: () => unitPem('unit-8'),
      applyRoster: (u) => void late.push(u),
      log: pino({ level: 'silent' }),
    });
    await other.start();
    await waitFor(() => late.length === 1, 10_000, 'retained roster for a late unit');
    await other.stop();
  });

  it.each([
    [
      'signed by a key that is not the pinned one',
      async () => push([user('X')], 2000, stranger),
      'bad signature',
    ],
    [
      'tampered after signing',
      async () => {
        const m = signRoster(
          {
            agency: 'metro',
            unit: 'unit-7',
            ...copy('unit-7', [user('B1')], 'c3'),
            issuedAt: 3000,
            id: 'c3',
          },
          admin,
          'admin',
        );
        await raw(JSON.stringify({ ...m, body: m.body.replace('B1', 'B9') }));
      },
      'bad signature',
    ],
    [
      'unsigned',
      async () => raw(JSON.stringify({ type: 'roster', version: 2, keyId: 'admin', sig: '', body: '{}' })),
      'unsigned roster',
    ],
    [
      'of format 1 (plain scrypt hashes anyone holding the copy can search)',
      async () => raw(JSON.stringify({ type: 'roster', version: 1, keyId: 'admin', sig: 'x', body: '{}' })),
      'format 1',
    ],
    [
      "whose PIN key was wrapped to another unit's certificate",
      async () => {
        const m = signRoster(
          {
            agency: 'metro',
            unit: 'unit-7',
            ...copy('unit-8', [user('B1')], 'c35'),
            issuedAt: 3500,
            id: 'c35',
          },
          admin,
          'admin',
        );
        await raw(JSON.stringify(m));
      },
      "does not open with this unit's TLS key",
    ],
    [
      'older than the one in use (replay)',
      async () => push([user('OLD')], 500),
      'older than the roster in use',
    ],
    [
      "signed for another unit (a copy moved to this unit's topic)",
      async () => {
        const m = signRoster(
          {
            agency: 'metro',
            unit: 'unit-8',
            ...copy('unit-8', [user('B1')], 'c45'),
            issuedAt: 4500,
            id: 'c45',
          },
          admin,
          'admin',
        );
        await raw(JSON.stringify(m));
      },
      'another unit',
    ],
    [
      'for another agency',
      async () => {
        const m = signRoster(
          {
            agency: 'other',
            unit: 'unit-7',
            ...copy('unit-7', [user('B1')], 'c4', 'other'),
            issuedAt: 4000,
            id: 'c4',
          },
          admin,
          'admin',
        );
        await raw(JSON.stringify(m));
      },
      'another agency',
    ],
    ['with entries the unit refuses', async () => push([user('bad badge')], 5000), 'entries refused'],
  ])('refuses a roster %s and keeps the current one', async (_what, send, problem) => {
    const before = sub.stats.rejected;
    await send();
    await waitFor(() => sub.stats.rejected === before + 1, 10_000, 'rejection');
    expect(sub.stats.lastProblem).toContain(problem);
    expect(applied).toHaveLength(1);
  });

  it('a flood of bad rosters is counted, with one warning a minute, not one line each', async () => {
    const before = sub.stats.rejected;
    for (let i = 0; i < 30; i++) await raw(i % 2 ? 'not json' : '{"type":"roster"}');
    await waitFor(() => sub.stats.rejected >= before + 30, 10_000, 'the flood refused');
    const warned = cap.lines().filter((l) => l['msg'] === 'roster refused; the current roster stays');
    // the refusals above and this flood fall within one minute: the first was logged, the rest counted
    expect(warned).toHaveLength(1);
    expect(applied).toHaveLength(1);
  });

  it('applies a newer roster', async () => {
    await push([user('B3')], 6000);
    await waitFor(() => applied.length === 2, 10_000, 'newer roster applied');
    expect((applied[1] as RosterEntry[]).map((u) => u.badge)).toEqual(['B3']);
  });

  it('`alpr roster push` checks the file, hashes clear PINs and publishes a signed roster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alpr-roster-'));
    try {
      const file = join(dir, 'roster.csv');
      const key = join(dir, 'admin.key');
      writeFileSync(
        file,
        'badge,name,trained,pin,expires\nB7,Officer Seven,true,482913,\nB8,Trainee,false,739164,\n',
      );
      writeFileSync(key, admin, { mode: 0o600 });
      // What the admin holds of each unit: its certificate's public key.
      writeFileSync(join(dir, 'unit-7.pem'), certs.get('unit-7')!.export({ type: 'spki', format: 'pem' }));
      const program = new Command().exitOverride();
      registerRosterPush(program);
      const args = ['roster', 'push', '--file', file, '--key', key, '--url', broker.url];
      args.push('--agency', 'metro', '--units', 'unit-7', '--unit-certs', dir);
      const push = () => program.parseAsync(args, { from: 'user' });
      await push();
      await waitFor(() => applied.length === 3, 10_000, 'pushed roster applied');
      const users = applied[2] as { badge: string; pinVerifier: string; trained: boolean }[];
      expect(users.map((u) => [u.badge, u.trained])).toEqual([
        ['B7', true],
        ['B8', false],
      ]);
      expect(users[0]!.pinVerifier).toMatch(/^hscrypt\$/);
      expect(JSON.stringify(users)).not.toMatch(/482913|(^|[^h])scrypt\$/);
      expect(await verifyKeyedPin('482913', users[0]!.pinVerifier, keys[2])).toBe(true);
      expect(await verifyKeyedPin('739164', users[1]!.pinVerifier, keys[2])).toBe(true);
      // The root checks pushed users with the web page's own rules before applying them.
      const entries = await parseRoster(JSON.stringify(users), 'json', { keyed: true });
      expect(entries.map((e) => e.pinHash)).toEqual(users.map((u) => u.pinVerifier));
      writeFileSync(file, 'badge,name,trained,pin,expires\n,No Badge,true,482913,\n');
      await expect(push()).rejects.toThrow(/not imported/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('remembers the applied version across a restart: a replayed older roster is still refused', async () => {
    await sub.stop();
    const seen: unknown[][] = [];
    const again = new RosterSubscriber({
      stateFile,
      mqtt: { url: broker.url },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'unit-7',
      adminKeys: [{ id: 'admin', publicKey: publicKeyBase64(admin) }],
      unitKey: () => unitPem('unit-7'),
      applyRoster: (u) => void seen.push(u),
      log: pino({ level: 'silent' }),
    });
    sub = again;
    await again.start();
    await push([user('OLD')], 700);
    await waitFor(() => again.stats.rejected === 1, 10_000, 'replay refused');
    expect(again.stats.lastProblem).toContain('older');
    expect(seen).toHaveLength(0);
  });
});
