/**
 * The unit's side of reconciliation (reconcile.ts): it publishes a tally of what it holds as
 * delivered, on connect and every `sync.tallyIntervalS`, and obeys the server's resend commands
 * within ResendGate's bounds by queueing the window's reads and hits again.
 */
import type { Logger } from '../core/log.ts';
import type { RejectCounter } from '../core/rejects.ts';
import type { ReconcilePort } from '../domain/ports.ts';
import { RESEND_MAX_RECORDS, ResendGate, TALLY_LAG_MS, TALLY_MAX_HOURS, TALLY_SPAN_MS } from './reconcile.ts';
import { parseResendCommand, payloads, type UnitRef } from './topics.ts';

export interface UnitReconcilerOptions {
  port: ReconcilePort;
  unit: UnitRef;
  tallyTopic: string;
  /** 0: no tallies (resend commands are still obeyed). */
  intervalMs: number;
  log: Logger;
  rejects: RejectCounter;
  now: () => number;
}

export class UnitReconciler {
  private readonly gate = new ResendGate();
  private lastTally = Number.NEGATIVE_INFINITY;
  /** Resend commands obeyed, and records queued again by them. */
  readonly stats = { tallies: 0, resends: 0, requeued: 0 };

  constructor(private readonly opts: UnitReconcilerOptions) {}

  /** Publishes a tally when one is due, or at once with `force` (a new connection). */
  tally(publish: (topic: string, body: string) => void, force = false): void {
    const { intervalMs, now } = this.opts;
    const t = now();
    if (intervalMs <= 0 || (!force && t - this.lastTally < intervalMs)) return;
    this.lastTally = t;
    const since = t - TALLY_SPAN_MS;
    const ackedBefore = t - TALLY_LAG_MS;
    const hours = this.opts.port.tally({
      since,
      until: t,
      ackedSince: since,
      ackedBefore,
      maxHours: TALLY_MAX_HOURS,
    });
    publish(
      this.opts.tallyTopic,
      JSON.stringify(payloads.tally(this.opts.unit, { since, until: t, ackedBefore, hours }, t)),
    );
    this.stats.tallies++;
  }

  /**
   * A resend command from the server: checked, bounded, obeyed (the records go out as the queue
   * drains). A retained one is a leftover on the broker, not a request: ignored.
   */
  command(payload: Buffer, retained = false): void {
    const t = this.opts.now();
    if (retained) {
      this.opts.rejects.reject('resend command ignored: retained on the broker');
      return;
    }
    const c = parseResendCommand(payload, this.opts.unit, t);
    if (typeof c === 'string') {
      this.opts.rejects.reject(`resend command ignored: ${c}`);
      return;
    }
    const ok = this.gate.admit(c.from, c.to, t);
    if (ok !== true) {
      // a second receiver of the partition asking for the same hour is expected: not a warning
      if (ok.kind === 'repeat')
        this.opts.log.debug({ requestId: c.id }, `resend command not obeyed: ${ok.reason}`);
      else this.opts.rejects.reject(`resend command not obeyed: ${ok.reason}`);
      return;
    }
    const n = this.opts.port.requeue(c.from, c.to, RESEND_MAX_RECORDS);
    this.stats.resends++;
    this.stats.requeued += n.reads + n.hits;
    this.opts.log.info(
      { requestId: c.id, from: new Date(c.from).toISOString(), to: new Date(c.to).toISOString(), ...n },
      'server asked for a window again',
    );
  }
}
