/**
 * The attack on a roster copy: someone takes a unit's roster copy as it sits on the broker (the
 * retained message) and the unit's database file (card pulled, no store key: it is sealed to the
 * TPM), then searches every 4-digit PIN offline. The search is real (scrypt per guess, same
 * params as the copy) and is shown to work: with the unit's roster key it finds the PIN, and
 * against a format-1 style scrypt hash it finds the PIN. Without the key it finds nothing. Sign-in
 * on the unit, through the real subscriber, page and database, still takes the right PIN only.
 */
import { createHmac, generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterCopyMaker } from '../../src/commands/roster-copy.ts';
import { unwrapRosterKey, wrapContext } from '../../src/domain/roster-key.ts';
import { aesSealer } from '../../src/domain/seal.ts';
import { publicKeyBase64 } from '../../src/domain/signed.ts';
import { pushRoster, RosterSubscriber, rosterTopic } from '../../src/sync/roster.ts';
import { openWebDb } from '../../src/web/db.ts';
import { parsePinVerifier, verifyKeyedPin } from '../../src/web/pin.ts';
import { parseRoster, type RosterEntry } from '../../src/web/roster.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/sync-fixtures.ts';
import { client, startWebUnit, type WebUnit } from '../helpers/web-harness.ts';

const PIN = '7391';
/** Cheap scrypt params (the lowest the unit accepts) so that 10^4 guesses take seconds here. */
const P = { N: 1024, r: 1, p: 1 };
const scryptOf = (pin: string, salt: Buffer, len = 32) =>
  scryptSync(pin, salt, len, { N: P.N, r: P.r, p: P.p });
function cheapHash(pin: string): string {
  const salt = randomBytes(16);
  return `scrypt$${P.N}$${P.r}$${P.p}$${salt.toString('base64')}$${scryptOf(pin, salt).toString('base64')}`;
}
const hmacTag = (key: Buffer, derived: Buffer) =>
  createHmac('sha256', key).update('alpr-pin-verifier-v2\0').update(derived).digest();

/**
 * The offline search: every 4-digit PIN through scrypt with the stored salt, each result tested
 * against the stored value as each hypothesis says. Returns the PINs each hypothesis accepts.
 */
function search(stored: string, hypotheses: Record<string, (derived: Buffer, value: Buffer) => boolean>) {
  const m = /^h?scrypt\$\d+\$\d+\$\d+\$([^$]+)\$(?:\d+:)?(.+)$/.exec(stored);
  if (!m) throw new Error(`not a stored PIN: ${stored}`);
  const salt = Buffer.from(m[1]!, 'base64');
  const value = Buffer.from(m[2]!, 'base64');
  const found: Record<string, string[]> = Object.fromEntries(Object.keys(hypotheses).map((k) => [k, []]));
  for (let i = 0; i < 10_000; i++) {
    const pin = String(i).padStart(4, '0');
    const derived = scryptOf(pin, salt);
    for (const [name, test] of Object.entries(hypotheses)) if (test(derived, value)) found[name]!.push(pin);
  }
  return found;
}

/** What an attacker without the roster key can try: the value as a plain hash, or keyed by guesses. */
const keyless = {
  asPlainHash: (d: Buffer, v: Buffer) => d.equals(v),
  zeroKey: (d: Buffer, v: Buffer) => hmacTag(Buffer.alloc(32), d).equals(v),
  randomKey: (() => {
    const k = randomBytes(32);
    return (d: Buffer, v: Buffer) => hmacTag(k, d).equals(v);
  })(),
  saltAsKey: (d: Buffer, v: Buffer) => hmacTag(Buffer.alloc(32, 1), d).equals(v),
};

const pem = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
  Buffer.from(k.export({ type: 'pkcs8', format: 'pem' }) as string);

describe.skipIf(!hasMosquitto)('a harvested roster copy gives no PIN away', () => {
  let broker: Broker;
  let unit: WebUnit;
  let sub: RosterSubscriber;
  const admin = pem(generateKeyPairSync('ed25519').privateKey);
  const unitTls = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const users: RosterEntry[] = [
    { badge: 'H1', name: 'Hana Ito', trained: true, pinHash: cheapHash(PIN), expires: null },
  ];
  let harvested: Buffer;

  beforeAll(async () => {
    broker = await startMosquitto();
    unit = await startWebUnit();
    // The unit as the root wires it: the subscriber opens the key with the unit's TLS key, the
    // page's own roster rules check the users, the page stores them.
    sub = new RosterSubscriber({
      mqtt: { url: broker.url },
      topicBase: 'alpr',
      agency: 'metro',
      unitId: 'unit-7',
      adminKeys: [{ id: 'admin', publicKey: publicKeyBase64(admin) }],
      unitKey: () => pem(unitTls.privateKey),
      applyRoster: async (list, key) =>
        unit.web.applyRoster(await parseRoster(JSON.stringify(list), 'json', { keyed: true }), key),
      log: pino({ level: 'silent' }),
    });
    await sub.start();
    await pushRoster({
      url: broker.url,
      topicBase: 'alpr',
      agency: 'metro',
      units: ['unit-7'],
      copyFor: rosterCopyMaker('metro', users, new Map([['unit-7', unitTls.publicKey]])),
      privateKeyPem: admin,
      keyId: 'admin',
    });
    await waitFor(() => sub.stats.applied === 1, 10_000, 'roster applied on the unit');
    // The attacker's copy: the retained message, read from the broker as it is kept there.
    const thief = await mqtt.connectAsync(broker.url);
    const got = new Promise<Buffer>((resolve) => thief.on('message', (_t, p) => resolve(p)));
    await thief.subscribeAsync(rosterTopic('alpr', 'metro', '+'));
    harvested = await got;
    await thief.endAsync();
  }, 30_000);

  afterAll(async () => {
    await sub?.stop();
    await unit?.stop();
    await destroyMosquitto(broker);
  });

  it('the copy on the broker: no 4-digit search finds the PIN without the unit key', () => {
    const m = JSON.parse(harvested.toString('utf8')) as { body: string };
    const body = JSON.parse(m.body) as {
      id: string;
      users: { pinVerifier?: string; pinHash?: string }[];
      pinKey: unknown;
    };
    const stored = body.users[0]!;
    expect(stored.pinHash).toBeUndefined();
    expect(harvested.toString('utf8')).not.toMatch(/(^|[^h])scrypt\$/);
    // The control: the same search with the key only the unit can open finds the PIN, and finds it
    // in a format-1 style copy (a bare scrypt hash) with no key at all.
    const key = unwrapRosterKey(
      body.pinKey,
      pem(unitTls.privateKey),
      wrapContext('metro', 'unit-7', body.id),
    );
    const found = search(stored.pinVerifier!, { ...keyless, unitKey: (d, v) => hmacTag(key, d).equals(v) });
    expect(found.unitKey).toEqual([PIN]);
    expect(search(users[0]!.pinHash, { asPlainHash: keyless.asPlainHash }).asPlainHash).toEqual([PIN]);
    for (const name of Object.keys(keyless)) expect([name, found[name]]).toEqual([name, []]);
    // Another key pair (a stolen certificate of another unit) does not open the key.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() =>
      unwrapRosterKey(body.pinKey, pem(other.privateKey), wrapContext('metro', 'unit-7', body.id)),
    ).toThrow(/does not open/);
  }, 60_000);

  it("the unit's database (and its WAL) on a pulled card: no search finds the PIN without the store key", () => {
    const file = unit.web.db!.db.name;
    const dir = mkdtempSync(join(tmpdir(), 'alpr-harvest-'));
    try {
      for (const ext of ['', '-wal', '-shm'])
        if (existsSync(file + ext)) copyFileSync(file + ext, join(dir, `web.sqlite${ext}`));
      const raw = ['', '-wal']
        .map((ext) => join(dir, `web.sqlite${ext}`))
        .filter(existsSync)
        .map((f) => readFileSync(f));
      const theft = new Database(join(dir, 'web.sqlite'), { readonly: true });
      const stored = theft.prepare("SELECT pin_hash FROM roster WHERE badge = 'H1'").pluck().get() as string;
      const sealedKey = theft.prepare('SELECT key FROM roster_key').pluck().get() as Buffer;
      theft.close();
      expect(parsePinVerifier(stored)).not.toBeNull();
      // What a thief could try as the key: the sealed blob's bytes.
      const asKey = sealedKey.subarray(-32);
      const found = search(stored, { ...keyless, sealedBlob: (d, v) => hmacTag(asKey, d).equals(v) });
      for (const [name, pins] of Object.entries(found)) expect([name, pins]).toEqual([name, []]);
      // Neither the PIN's scrypt output (what a search compares with) nor the roster key is on the card.
      const salt = Buffer.from(stored.split('$')[4]!, 'base64');
      const derived = scryptOf(PIN, salt);
      const key = unit.web.db!.rosterKey()!;
      for (const bytes of raw)
        for (const needle of [
          derived,
          key,
          Buffer.from(derived.toString('base64')),
          Buffer.from(users[0]!.pinHash),
        ])
          expect(bytes.includes(needle)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('sign-in on the unit takes the right PIN and refuses a wrong one', async () => {
    const c = client(unit.base);
    const wrong = await c.call('/api/signin', { badge: 'H1', pin: '7390' });
    expect(wrong.status).toBe(401);
    const right = await c.call('/api/signin', { badge: 'H1', pin: PIN });
    expect(right.status).toBe(200);
    expect(unit.web.currentOperator()).toBe('H1');
  });
});

describe('roster rows an earlier release stored as scrypt hashes', () => {
  it('are keyed on the first open with the unit key; the hash leaves the file and sign-in still works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alpr-roster-migrate-'));
    const file = join(dir, 'web.sqlite');
    try {
      const hash = cheapHash(PIN);
      const old = new Database(file);
      old.pragma('journal_mode = WAL');
      old.exec(
        'CREATE TABLE roster (badge TEXT PRIMARY KEY, name TEXT NOT NULL, trained INTEGER NOT NULL, pin_hash TEXT NOT NULL, expires INTEGER, imported_at INTEGER NOT NULL)',
      );
      old.prepare('INSERT INTO roster VALUES (?, ?, 1, ?, NULL, 1)').run('H1', 'Hana Ito', hash);
      old.close();
      expect(readFileSync(file).includes(Buffer.from(hash))).toBe(true);
      const cipher = aesSealer(randomBytes(32), 'web');
      const w = openWebDb(file, cipher);
      const stored = w.rosterEntry('H1')!.pinHash;
      expect(stored).toMatch(/^hscrypt\$/);
      expect(await verifyKeyedPin(PIN, stored, w.rosterKey())).toBe(true);
      expect(await verifyKeyedPin('7390', stored, w.rosterKey())).toBe(false);
      for (const ext of ['', '-wal'])
        if (existsSync(file + ext))
          expect([ext, readFileSync(file + ext).includes(Buffer.from(hash))]).toEqual([ext, false]);
      w.close();
      // Opened again with another key, the stored key does not open: nothing signs in.
      expect(() => openWebDb(file, aesSealer(randomBytes(32), 'web')).rosterKey()).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
