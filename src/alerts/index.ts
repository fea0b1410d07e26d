import type { Bus } from '../core/bus.ts';
import type { Logger } from '../core/log.ts';
import type { Stage } from '../core/stage.ts';
import { formatHit, formatRead } from './format.ts';

export interface AlertsDeps {
  bus: Bus;
  log: Logger;
  config: { console: boolean; showReads: boolean };
  /** Where the operator's terminal display goes (stdout by default). */
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
    const out = this.deps.out ?? process.stdout;
    this.offs.push(
      bus.on('hit', (h) => {
        log.info(
          { hitId: h.id, readId: h.readId, list: h.match.list, approximate: h.match.approximate },
          'hit',
        );
        if (config.console) out.write(`${formatHit(h)}\n`);
      }),
    );
    if (config.showReads) this.offs.push(bus.on('read', (r) => out.write(`${formatRead(r)}\n`)));
  }

  async stop(): Promise<void> {
    for (const off of this.offs) off();
    this.offs = [];
  }
}
