import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { AlprError, ErrorCodes } from '../../src/domain/errors.ts';

/** The `err.message` of the one line a logger writes for `err`. */
function logged(err: unknown): string {
  let line = '';
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        line += chunk.toString();
        cb();
      },
    }),
  });
  log.fatal({ err }, 'start failed');
  return JSON.parse(line).err.message;
}

describe('logged errors', () => {
  it('does not repeat a cause the message already quotes', () => {
    const cause = new AlprError(ErrorCodes.INPUT, 'cannot read secret "ca.crt"');
    const err = new AlprError(ErrorCodes.STAGE_START, `store failed to start: ${cause.message}`, { cause });
    expect(logged(err)).toBe('store failed to start: cannot read secret "ca.crt"');
  });

  it('still appends causes the message does not quote, and stops on a cycle', () => {
    const root = new Error('EACCES');
    const mid = new Error('cannot open the store', { cause: root });
    const err = new Error('store failed to start', { cause: mid });
    expect(logged(err)).toBe('store failed to start: cannot open the store: EACCES');
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(logged(b)).toBe('b: a');
  });
});

describe('journald priorities', () => {
  it('starts each line with the syslog priority of its level, the JSON left as it is', async () => {
    const { journalDestination } = await import('../../src/core/log.ts');
    const lines: string[] = [];
    const d = journalDestination({ write: (s: string) => lines.push(s) });
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
      d.write(`{"level":"${level}","msg":"x"}\n`);
    d.write('not json\n');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<2>', '<3>', '<4>', '<6>', '<7>', '<7>', '<6>']);
    expect(lines[1]!.slice(3)).toBe('{"level":"error","msg":"x"}\n');
  });

  it("knows journald's stream only by $JOURNAL_STREAM's device and inode", async () => {
    const { isJournalStream } = await import('../../src/core/log.ts');
    const { fstatSync } = await import('node:fs');
    const st = fstatSync(1);
    expect(isJournalStream(1, `${st.dev}:${st.ino}`)).toBe(true);
    expect(isJournalStream(1, `${st.dev}:${st.ino + 1}`)).toBe(false);
    expect(isJournalStream(1, undefined)).toBe(false);
    expect(isJournalStream(999, `${st.dev}:${st.ino}`)).toBe(false);
  });
});
