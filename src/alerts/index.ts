import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import { formatHit, formatRead } from './format.ts';
import { RealertGate } from './realert.ts';

export interface AlertsDeps {
  bus: Bus;
  log: Logger;
  config: {
    console: boolean;
    consoleStream: 'stdout' | 'stderr';
    showReads: boolean;
    realertMinutes: number;
  };
  /** Where the operator's terminal display goes (config.consoleStream by default). */
  out?: NodeJS.WritableStream;
}

/**
 * The terminal display of hits (and, in the demo, reads). This is the operator's screen, not a log:
 * plate text appears here and never in the JSON logs above debug level.
 */
export class AlertsStage implements Stage {
  readonly name = 'alerts';
  readonly critical = false;
  private offs: Array<() => void> = [];

  constructor(private readonly deps: AlertsDeps) {}

  async start(): Promise<void> {
    const { bus, config, log } = this.deps;
    const out = this.deps.out ?? (config.consoleStream === 'stderr' ? process.stderr : process.stdout);
    const gate = new RealertGate(config.realertMinutes * 60_000);
    this.offs.push(
      bus.on('hit', (h) => {
        // Every hit is stored and uploaded; the officer is alerted once per vehicle and entry per window.
        const alerted = gate.admit(h, Date.parse(h.capturedAt));
        log.info(
          { hitId: h.id, readId: h.readId, list: h.match.list, approximate: h.match.approximate, alerted },
          'hit',
        );
        if (config.console && alerted) out.write(`${formatHit(h)}\n`);
      }),
    );
    if (config.showReads) this.offs.push(bus.on('read', (r) => out.write(`${formatRead(r)}\n`)));
  }

  async stop(): Promise<void> {
    for (const off of this.offs) off();
    this.offs = [];
  }
}
