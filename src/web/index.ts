/**
 * The officer's page (policy rules 1, 2, 4, 6, 7, 10): a local HTTP server with a small page and a
 * JSON API, live reads and hits over Server-Sent Events. It never imports another stage: lights,
 * the read search, images and officer hot plates come in as injected callbacks and ports.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { WebConfig } from '../config/sections/web.ts';
import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import { RejectCounter } from '../core/rejects.ts';
import type { Stage } from '../core/stage.ts';
import type { HitHistoryPort, ImagePort, ReadSearchPort, RecordQueuePort } from '../domain/ports.ts';
import type { Fix, HealthReport, Hit, OfficerPlateInput } from '../domain/types.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Sealer } from '../domain/seal.ts';
import { audit, handleRequest } from './api.ts';
import type { AuditRow } from './audit.ts';
import { openWebDb, type WebDb } from './db.ts';
import { PinThrottle, UnitPace, verifyKeyedPin } from './pin.ts';
import { type HomeAddresses, mayOperate, SignInGuard } from './signin.ts';
import { homeTable, throttleTable } from './throttle-db.ts';
import type { RosterEntry } from './roster.ts';
import { SearchLimiter } from './search-limit.ts';
import { type Session, Sessions } from './session.ts';
import type { HotlistAge, LightPart, UploadState } from './status.ts';
import { type HitView, hitView, type LightsView, type ReadView, readView } from './views.ts';

export type { LightsView } from './views.ts';
export type { HotlistAge, LightPart, UploadState } from './status.ts';

/** An officer hot plate as the page lists it (the hot-list entry's fields the page shows). */
export interface OwnHotPlate {
  plate: string;
  state: string | null;
  caseNumber: string | null;
  xref: string | null;
  reason: string | null;
  officerName: string | null;
  source: string | null;
  created: number;
  expires: number | null;
}

/** The officer hot-plate form's fields: the hot-list stage's input, from src/domain. */
export type HotPlateInput = OfficerPlateInput;

/**
 * What the page records that the server should also get, as queued records (RecordQueuePort):
 * `id` is the idempotency key the server de-duplicates on.
 */
export type WebRecord =
  | {
      id: string;
      kind: 'hit-state';
      body: {
        hitId: string;
        from: string;
        state: string;
        action: string;
        by: string | null;
        at: number;
        reason: string | null;
        note: string | null;
      };
    }
  | {
      id: string;
      kind: 'shift-check';
      body: {
        by: string | null;
        at: number;
        allGreen: boolean;
        lights: LightsView;
        /** Lights green only because nothing is configured behind them (no server link). */
        notConfigured: string[];
        note: string | null;
      };
    }
  | { id: string; kind: 'audit'; body: AuditRow };

/** Live streams one session may hold open, and all sessions together. */
export const STREAMS_PER_SESSION = 3;
export const STREAMS_TOTAL = 32;
/** A connection that has sent no request this long after it opened is closed (ms). */
export const FIRST_BYTE_MS = 20_000;
/** Connections the page takes at once (a car has a tablet or two; a browser opens up to 6 each). */
export const MAX_CONNECTIONS = 256;
/** A live stream with more than this waiting to be read is closed. */
export const STREAM_BUFFER_BYTES = 256 * 1024;

export interface WebDeps {
  bus: Bus;
  log: Logger;
  config: WebConfig;
  dataDir: string;
  /** unit.mode: a trailer runs without an operator (reads are never tagged). */
  mode: 'car' | 'trailer';
  /** The four lights now, and their changes (health stage's snapshot() / onChange()). */
  lights: () => LightsView;
  onLights: (fn: (l: LightsView) => void) => () => void;
  /**
   * Seals audit details and notes at rest: the unit key's `web` context (aesSealer(key, 'web'));
   * plainSealer('web') only with store.encryption: none.
   */
  cipher: Sealer;
  search?: ReadSearchPort;
  images?: ImagePort;
  /** Stored hits, to show the last `web.hitHistoryHours` again after a restart. */
  hitHistory?: HitHistoryPort;
  /** web.tls: the page's certificate and key (PEM), read from the credentials folder by the root. */
  tls?: { cert: Buffer; key: Buffer };
  /** Adds an officer hot plate (hot-list stage); throws AlprError with `details` when invalid. */
  addHotPlate?: (input: HotPlateInput) => { plate: string; expires: number | null };
  /** Every component's latest health report (health stage's body().components): seeds the hot-list age. */
  healthReports?: () => readonly HealthReport[];
  /** The live officer hot plates (hot-list stage, list LOCAL). */
  officerPlates?: () => readonly OwnHotPlate[];
  /** Cancels one officer hot plate by plate and creation time; false when no live entry has both. */
  cancelHotPlate?: (plate: string, created: number) => boolean;
  /** Each light's component reports (health stage's reports, grouped by the light they fold into). */
  lightParts?: () => Readonly<Record<string, readonly LightPart[]>>;
  /** The loaded hot lists with their versions and age limits (hot-list stage). */
  hotlists?: () => readonly HotlistAge[];
  /** The upload queue (store's outbox); null when no server link is configured. */
  upload?: () => UploadState | null;
  /** Where records for the server are queued (the store's record queue). */
  records?: Pick<RecordQueuePort, 'put'>;
  now?: () => number;
  /** Holds back wrong sign-in answers under the unit-wide pace (setTimeout unless a test steps it). */
  sleep?: (ms: number) => Promise<void>;
}

/** One audited search's results, remembered for the image views it allows. */
export interface FoundReads {
  seq: number;
  readIds: Set<string>;
  reason: string | null;
  caseNumber: string | null;
  /** `<readId>:<image>` already opened under this search (audited once each). */
  viewed?: Set<string>;
}
const SEARCHES_KEPT = 20;

export class WebStage implements Stage {
  readonly name = 'web';
  readonly critical = false;
  db: WebDb | null = null;
  sessions: Sessions;
  throttle: PinThrottle;
  /** Wrong tries per badge and address (signin.ts). */
  readonly localThrottle: PinThrottle;
  private homes: HomeAddresses | null = null;
  /** Wrong PINs and unknown badges of everyone together: slows a walk through many badges. */
  readonly pace: UnitPace;
  readonly signIn: SignInGuard;
  /** Refused sign-ins, logged counted (the first at once, then a sum a minute). */
  readonly wrongPins: RejectCounter;
  /** Searches per badge (search-limit.ts); refused ones are logged counted. */
  readonly searchLimit: SearchLimiter;
  readonly searchRefusals: RejectCounter;
  readonly reads: ReadView[] = [];
  readonly hits = new Map<string, Hit>();
  /** The hot-list stage's latest freshness report (its age), shown beside the lights. */
  hotlist: HealthReport | null = null;
  /** The latest GPS fix, for "search near my position". */
  lastFix: Fix | null = null;
  private server: Server | null = null;
  /**
   * Recent searches by session id (newest last, at most SEARCHES_KEPT): which reads each returned,
   * and its audit row, reason and case, so that opening a found read's images is audited under it.
   * In memory only: after a restart the officer searches again (a new audited search).
   */
  readonly searches = new Map<string, FoundReads[]>();
  /** Live streams and the session id each belongs to. */
  private readonly clients = new Map<ServerResponse, string>();
  private offs: (() => void)[] = [];
  private ping: NodeJS.Timeout | null = null;
  private operatorShown: boolean | null = null;
  /** The bound port once started. */
  port: number | null = null;

  constructor(readonly deps: WebDeps) {
    this.sessions = new Sessions(
      deps.config.sessionHours * 3600_000,
      () => this.now(),
      deps.config.sessionIdleMinutes * 60_000,
      (badge) => {
        const e = this.db?.rosterEntry(badge);
        return e !== undefined && mayOperate(e, this.now());
      },
      (s) => this.barred(s),
    );
    // a device's wrong tries lock that device out (local); only four times as many across devices
    // lock the badge, and never at the screen it last signed in from (signin.ts)
    this.throttle = new PinThrottle(deps.config.pinMaxFailures * 4, deps.config.pinLockoutS * 1000);
    this.localThrottle = new PinThrottle(deps.config.pinMaxFailures, deps.config.pinLockoutS * 1000);
    this.pace = new UnitPace(
      deps.config.pinMaxFailures * 4,
      deps.config.pinLockoutS * 1000,
      deps.config.pinSlowdownMaxS * 1000,
    );
    this.wrongPins = new RejectCounter(deps.log, 'sign-in refused');
    this.searchLimit = new SearchLimiter(deps.config.searchesPerMinute);
    this.searchRefusals = new RejectCounter(deps.log, 'search refused');
    this.signIn = new SignInGuard({
      throttle: this.throttle,
      local: this.localThrottle,
      homes: {
        get: (badge) => this.homes?.get(badge),
        set: (badge, address) => this.homes?.set(badge, address),
      },
      pace: this.pace,
      roster: (badge) => this.db?.rosterEntry(badge),
      // Keyed verifiers only (roster-db.ts): the key is the unit's, never in a roster copy.
      verify: (pin, stored) => verifyKeyedPin(pin, stored, this.db?.rosterKey()),
      storedForm: 'keyed',
      now: () => this.now(),
      sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    });
  }

  now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The signed-in operator's badge, to tag reads with; always null on a trailer. */
  currentOperator(): string | null {
    return this.deps.mode === 'trailer' ? null : this.sessions.current();
  }

  async start(): Promise<void> {
    const { config, dataDir, bus, log } = this.deps;
    mkdirSync(dataDir, { recursive: true });
    this.db = openWebDb(join(dataDir, config.file), this.deps.cipher);
    this.sessions.attach(this.db);
    this.throttle.attach(throttleTable(this.db.db, 'badge'));
    this.localThrottle.attach(throttleTable(this.db.db, 'badge-address'));
    this.homes = homeTable(this.db.db);
    const since = this.now() - config.hitHistoryHours * 3600_000;
    for (const h of (this.deps.hitHistory?.recent(since, config.recentHits) ?? []).reverse())
      this.hits.set(h.id, h);
    this.hotlist = this.deps.healthReports?.().find((r) => r.component === 'hotlist') ?? null;
    if (this.db.rosterSize() === 0 && this.deps.mode === 'car')
      log.warn('the roster is empty: nobody can sign in (alpr roster import FILE)');
    this.offs.push(
      bus.on('read', (r) => {
        if (config.recentReads === 0) return;
        const v = readView(r);
        this.reads.unshift(v);
        this.reads.length = Math.min(this.reads.length, config.recentReads);
        this.broadcast('read', v);
      }),
      bus.on('hit', (h) => {
        this.hits.set(h.id, h);
        if (this.hits.size > config.recentHits) this.hits.delete(this.hits.keys().next().value as string);
        this.broadcast('hit', this.hitViews([h])[0]);
      }),
      bus.on('fix', (f) => {
        this.lastFix = f;
      }),
      bus.on('health', (r) => {
        if (r.component !== 'hotlist') return;
        this.hotlist = r;
        this.broadcast('hotlist', r);
      }),
      this.deps.onLights((l) => this.broadcast('lights', l)),
    );
    const handler = (req: IncomingMessage, res: ServerResponse) => void handleRequest(this, req, res);
    const tls = this.deps.tls;
    const server = tls
      ? createHttpsServer(
          // a TCP connection that never finishes its handshake is closed after FIRST_BYTE_MS too
          { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', handshakeTimeout: FIRST_BYTE_MS },
          handler,
        )
      : createServer(handler);
    server.keepAliveTimeout = 5000;
    // Idle sockets must not pile up to the file limit: one silent both ways for 60 s is closed
    // (live streams write a ping every 15 s), a request not received whole in 30 s too.
    server.setTimeout(60_000, (socket) => socket.destroy());
    server.requestTimeout = 30_000;
    server.headersTimeout = 20_000;
    server.maxConnections = MAX_CONNECTIONS;
    // Node's timeouts start at a request's first byte: a connection that never sends one is
    // closed here (TLS included: its handshake bytes do not count as a request).
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      const idle = setTimeout(() => socket.destroy(), FIRST_BYTE_MS);
      idle.unref();
      socket.once('data', () => clearTimeout(idle));
      socket.once('close', () => clearTimeout(idle));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.reportOperator();
    // Comments keep idle proxies and the page's own watchdog aware that the daemon is alive.
    this.ping = setInterval(() => {
      // An open live stream is page contact: the page is on screen, so the session is not idle.
      for (const id of new Set(this.clients.values())) {
        const s = this.sessions.live(id);
        if (s) this.sessions.touch(s);
      }
      this.broadcast('ping', { at: this.now() });
      this.reportOperator();
    }, 15_000);
    this.ping.unref();
    log.info(
      { host: config.host, port: this.port, mode: this.deps.mode, https: !!tls },
      "officer's page listening",
    );
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    if (this.ping) clearInterval(this.ping);
    this.ping = null;
    for (const c of this.clients.keys()) c.end();
    this.clients.clear();
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    this.sessions.attach(null);
    this.throttle.attach(null);
    this.localThrottle.attach(null);
    this.homes = null;
    this.searches.clear();
    this.db?.close();
    this.db = null;
  }

  /** Remembers a search's results for the session (bounded). */
  rememberSearch(sessionId: string, found: FoundReads): void {
    for (const id of this.searches.keys())
      if (id !== sessionId && !this.sessions.live(id)) this.searches.delete(id);
    const list = this.searches.get(sessionId) ?? [];
    list.push(found);
    if (list.length > SEARCHES_KEPT) list.shift();
    this.searches.set(sessionId, list);
  }

  /**
   * Car mode: tells the health stage whether someone is signed in (component `operator`, which
   * folds into the system light). Sent on every change (sign-in, sign-out, expiry).
   */
  reportOperator(): void {
    if (this.deps.mode === 'trailer' || !this.deps.config.operatorLight) return;
    const on = this.sessions.current() !== null;
    if (on === this.operatorShown) return;
    this.operatorShown = on;
    this.deps.bus.emit('health', {
      component: 'operator',
      light: on ? 'green' : 'amber',
      reason: on ? 'operator signed in' : 'no operator signed in (sign in on the in-car page)',
      at: this.now(),
    });
  }

  /**
   * Replaces the roster (an admin push routed here by the root); the entries are already checked.
   * An officer signed in whom the new roster leaves out, untrained or expired is signed out now.
   */
  applyRoster(entries: readonly RosterEntry[], rosterKey?: Buffer): void {
    if (!this.db) throw new AlprError(ErrorCodes.INPUT, 'the web stage is not started');
    this.db.replaceRoster(entries, this.now(), rosterKey);
    this.deps.log.info({ users: entries.length }, 'roster replaced');
    this.sessions.current();
  }

  /**
   * A session the roster no longer allows was ended: the trail says so, its live streams close
   * (the page shows sign-in), and the operator light says no one is signed in.
   */
  private barred(s: Session): void {
    this.deps.log.warn(
      { badge: s.badge },
      'operator signed out: the roster no longer lets this account operate the unit',
    );
    if (this.db)
      audit(this, s, { kind: 'sign-out', detail: { reason: 'account no longer allowed by the roster' } });
    for (const [c, id] of this.clients) {
      if (id !== s.id) continue;
      this.clients.delete(c);
      c.end();
    }
    this.reportOperator();
  }

  /** Hits newest first, each with its handling state. */
  hitViews(hits: readonly Hit[] = [...this.hits.values()].reverse()): HitView[] {
    const states = this.db?.hitStates(hits.map((h) => h.id)) ?? new Map();
    return hits.map((h) => {
      const s = states.get(h.id);
      return hitView(h, {
        state: s?.to ?? 'new',
        by: s?.badge ?? null,
        at: s?.at ?? null,
        reason: s?.reason ?? null,
        note: s?.note ?? null,
      });
    });
  }

  /** Adds a page to the live stream (the caller has checked its session). */
  subscribe(res: ServerResponse, sessionId: string): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 3000\n\n');
    // A page needs one stream (a reload briefly two): a session's oldest streams beyond
    // STREAMS_PER_SESSION, and the oldest of all beyond STREAMS_TOTAL, are closed.
    const mine = [...this.clients].filter(([, id]) => id === sessionId).map(([c]) => c);
    for (const c of mine.slice(0, Math.max(0, mine.length + 1 - STREAMS_PER_SESSION))) this.drop(c);
    for (const c of [...this.clients.keys()].slice(0, Math.max(0, this.clients.size + 1 - STREAMS_TOTAL)))
      this.drop(c);
    this.clients.set(res, sessionId);
    res.on('close', () => this.clients.delete(res));
    this.send(res, 'lights', this.deps.lights());
    if (this.hotlist) this.send(res, 'hotlist', this.hotlist);
  }

  /** Live streams open now. */
  get streamCount(): number {
    return this.clients.size;
  }

  /** Closes a live stream (the page reconnects if it is still there). */
  private drop(res: ServerResponse): void {
    this.clients.delete(res);
    res.destroy();
  }

  /** Sends to every live stream; a stream whose session has ended is closed instead. */
  broadcast(event: string, data: unknown): void {
    for (const [c, id] of this.clients) {
      if (this.sessions.live(id)) this.send(c, event, data);
      else {
        this.clients.delete(c);
        c.end();
      }
    }
  }

  /**
   * Writes one event. A stream that does not read (its buffer past STREAM_BUFFER_BYTES) is closed
   * instead: a page that stopped reading must not hold the daemon's memory.
   */
  private send(res: ServerResponse, event: string, data: unknown): void {
    if (res.writableLength > STREAM_BUFFER_BYTES) {
      this.deps.log.warn({ buffered: res.writableLength }, 'a live stream stopped reading; closed');
      this.drop(res);
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Queues a record for the server; a failure is logged, never lost silently, never fatal to the page. */
  upstream(m: WebRecord): void {
    try {
      this.deps.records?.put(m);
    } catch (err) {
      this.deps.log.error({ err, kind: m.kind }, 'cannot queue a record for the server');
    }
  }
}
