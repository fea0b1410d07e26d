/**
 * A recognizer worker's own scheduling priority. On Linux the nice value belongs to each thread,
 * so a pool's thorough worker can run below the live screens. The kernel then gives the screens
 * the CPU first, and thorough looks only get what the cameras leave spare, however fast or slow
 * the CPU is. Pacing the looks alone cannot promise that: a look of ~0.4 s on one CPU takes ~0.8 s
 * on another.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The weakest priority: at CPU contention, about 1.5% of a core against a thread at nice 0. */
export const BACKGROUND_NICE = 19;

/** This thread's kernel id, from /proc/thread-self (Linux 3.17+), or null where it cannot be read. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Lowers the calling thread's priority to `nice` (never raises it: a unit started at a lower
 * priority stays there). Threads it starts afterwards inherit the value. Returns the thread's id
 * and the nice value it now runs at, or null where the thread cannot be told apart from the
 * process (not Linux) or the kernel refused.
 */
export function lowerThreadPriority(nice = BACKGROUND_NICE): { tid: number; nice: number } | null {
  const tid = threadId();
  if (tid === null) return null;
  try {
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return { tid, nice: getPriority(tid) };
  } catch {
    return null;
  }
}
