/**
 * The thorough worker's scheduling (thread-priority.ts): where util-linux's chrt cannot run, the
 * thread keeps its policy and the worker is told so (it then runs at nice 19 alone); a thread's
 * policy is read back from the kernel, not assumed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { idleSchedule, SCHED_IDLE, threadId, threadPolicy } from '../../src/recognize/thread-priority.ts';

const linux = process.platform === 'linux';
const path = process.env.PATH;

afterEach(() => {
  process.env.PATH = path;
});

describe.skipIf(!linux)('thread scheduling', () => {
  it('reads this thread’s policy from /proc: SCHED_OTHER (0) for a test thread', () => {
    const tid = threadId();
    expect(tid).toBeGreaterThan(0);
    expect(threadPolicy(tid!)).toBe(0);
    expect(threadPolicy(2 ** 30)).toBeNull();
  });

  it('without chrt on the PATH: false, and the thread stays under SCHED_OTHER', () => {
    const tid = threadId()!;
    process.env.PATH = '/nonexistent';
    expect(idleSchedule(tid)).toBe(false);
    expect(threadPolicy(tid)).not.toBe(SCHED_IDLE);
    expect(threadPolicy(tid)).toBe(0);
  });
});
